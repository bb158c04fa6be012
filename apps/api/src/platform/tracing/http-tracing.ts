import {
  context,
  Context,
  propagation,
  ROOT_CONTEXT,
  Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { tracer, tracingEnabled } from './tracing';

interface RequestTrace {
  span: Span;
  context: Context;
}

/**
 * A server span per request (continuing an incoming `traceparent`), named by method and route
 * pattern. Its context is entered in onRequest and again in preHandler, since body parsing runs
 * on the socket's callbacks. Registered only while tracing is on: otherwise the hot path is untouched.
 */
export function registerHttpTracing(fastify: FastifyInstance): void {
  if (!tracingEnabled()) return;
  const traces = new WeakMap<FastifyRequest, RequestTrace>();
  fastify.addHook('onRequest', (request, _reply, done) => {
    const parent = propagation.extract(ROOT_CONTEXT, request.headers);
    const route = request.routeOptions.url ?? 'unmatched';
    const span = tracer().startSpan(
      `${request.method} ${route}`,
      {
        kind: SpanKind.SERVER,
        attributes: { 'http.request.method': request.method, 'http.route': route },
      },
      parent,
    );
    const spanContext = trace.setSpan(parent, span);
    traces.set(request, { span, context: spanContext });
    context.with(spanContext, done);
  });
  fastify.addHook('preHandler', (request, _reply, done) => {
    const current = traces.get(request);
    if (current) context.with(current.context, done);
    else done();
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    const current = traces.get(request);
    if (current) {
      current.span.setAttribute('http.response.status_code', reply.statusCode);
      if (reply.statusCode >= 500) current.span.setStatus({ code: SpanStatusCode.ERROR });
      current.span.end();
      traces.delete(request);
    }
    done();
  });
}
