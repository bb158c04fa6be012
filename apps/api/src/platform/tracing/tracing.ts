import {
  context,
  Context,
  Link,
  propagation,
  ROOT_CONTEXT,
  Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { NodeSDK } from '@opentelemetry/sdk-node';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';

/**
 * OpenTelemetry tracing, off unless OTEL_EXPORTER_OTLP_ENDPOINT is set (tests pass their own span
 * processor). The trace context crosses the asynchronous hops of a purchase — checkout session,
 * outbox row, queue job — as a W3C `traceparent` stored with each, so one purchase is one trace
 * from checkout to provisioning (docs/observability.md). While tracing is off, every helper here
 * costs one boolean check.
 */
let sdk: NodeSDK | null = null;

export const TRACER_NAME = 'astrix';

export interface TracingOptions {
  /** service.name of the spans: astrix-api or astrix-worker. */
  serviceName: string;
  /** Instead of the OTLP exporter (tests: an in-memory exporter). */
  spanProcessors?: SpanProcessor[];
}

/** Starts the SDK when an OTLP endpoint is configured (or processors are given); call before anything else. */
export function startTracing(options: TracingOptions, env: NodeJS.ProcessEnv = process.env): boolean {
  if (sdk) return true;
  const endpoint = env.OTEL_EXPORTER_OTLP_ENDPOINT ?? env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  if (!options.spanProcessors && !endpoint) return false;
  sdk = new NodeSDK({
    serviceName: env.OTEL_SERVICE_NAME ?? options.serviceName,
    ...(options.spanProcessors
      ? { spanProcessors: options.spanProcessors }
      : { traceExporter: new OTLPTraceExporter() }),
    // Spans are made by our own hooks (HTTP, outbox relay, jobs, event consumers); no monkey-patching.
    instrumentations: [],
  });
  sdk.start();
  return true;
}

/** Flushes and stops the SDK (application shutdown). */
export async function stopTracing(): Promise<void> {
  const running = sdk;
  sdk = null;
  if (running) await running.shutdown();
}

export function tracingEnabled(): boolean {
  return sdk !== null;
}

export function tracer(): ReturnType<typeof trace.getTracer> {
  return trace.getTracer(TRACER_NAME);
}

/** The W3C traceparent of the active span, to store with work that continues elsewhere; null when off. */
export function currentTraceparent(): string | null {
  if (!sdk) return null;
  return traceparentOf(context.active());
}

export function traceparentOf(ctx: Context): string | null {
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  return carrier.traceparent ?? null;
}

/** The context a stored traceparent names (the root context when there is none). */
export function contextOf(traceparent: string | null | undefined): Context {
  return traceparent ? propagation.extract(ROOT_CONTEXT, { traceparent }) : ROOT_CONTEXT;
}

export interface SpanOptions {
  kind?: SpanKind;
  attributes?: Record<string, string | number | boolean>;
  /**
   * Parent: a stored traceparent to continue (the current span, if any, is then linked), or
   * undefined for the current span.
   */
  traceparent?: string | null;
}

/** Runs `work` in a new span (ended when it settles; an error marks it failed). No-op while off. */
export async function inSpan<T>(
  name: string,
  options: SpanOptions,
  work: (span: Span | null) => Promise<T>,
): Promise<T> {
  if (!sdk) return work(null);
  const active = context.active();
  const continued = options.traceparent ? contextOf(options.traceparent) : null;
  const parent = continued && trace.getSpanContext(continued) ? continued : active;
  const current = trace.getSpanContext(active);
  const links: Link[] = parent !== active && current ? [{ context: current }] : [];
  const span = tracer().startSpan(
    name,
    { kind: options.kind, attributes: options.attributes, links },
    parent,
  );
  try {
    return await context.with(trace.setSpan(parent, span), () => work(span));
  } catch (error) {
    span.recordException(error instanceof Error ? error : String(error));
    span.setStatus({
      code: SpanStatusCode.ERROR,
      message: error instanceof Error ? error.message : String(error),
    });
    throw error;
  } finally {
    span.end();
  }
}

/** A span started now and ended by the caller, e.g. around a batch; `traceparent` is its own. */
export interface OpenSpan {
  traceparent: string | null;
  end(error?: unknown): void;
}

const NO_SPAN: OpenSpan = { traceparent: null, end: () => undefined };

/** Starts a child span of a stored traceparent; nothing (and traceparent null) when off or there is none. */
export function startSpanFrom(
  traceparent: string | null | undefined,
  name: string,
  options: Omit<SpanOptions, 'traceparent'> = {},
): OpenSpan {
  if (!sdk || !traceparent) return NO_SPAN;
  const parent = contextOf(traceparent);
  if (!trace.getSpanContext(parent)) return NO_SPAN;
  const span = tracer().startSpan(name, { kind: options.kind, attributes: options.attributes }, parent);
  return {
    traceparent: traceparentOf(trace.setSpan(parent, span)),
    end(error?: unknown) {
      if (error !== undefined) span.setStatus({ code: SpanStatusCode.ERROR, message: String(error) });
      span.end();
    },
  };
}

export { SpanKind };
