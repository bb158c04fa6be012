import type { ModuleMetadata } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import { buildOpenApiDocument } from './openapi/openapi-document';
import { validateEnvironment } from '../platform/config/environment';
import { AppConfig } from '../platform/config/app-config';
import { registerClientOrigin } from '../platform/http/client-origin';
import { ErrorEnvelopeFilter } from '../platform/http/error-envelope.filter';
import { REQUEST_ID_HEADER, requestIdFor } from '../platform/http/request-id';
import { createValidationPipe } from '../platform/http/validation';
import { keepRawBodyForWebhooks } from '../platform/http/raw-body';
import { refuseUnacceptableInput } from '../platform/http/input-guard';
import { registerConsole } from './console-static';
import { registerHttpMetrics } from '../platform/metrics/http-metrics';
import { MetricsRegistry } from '../platform/metrics/metrics-registry';
import { MetricsServer } from '../platform/metrics/metrics-server';
import { registerHttpTracing } from '../platform/tracing/http-tracing';

export interface CreateAppOptions {
  /** Overrides WORKERS_ENABLED. */
  workers?: boolean;
  /** Extra modules, for tests that need probe endpoints or consumers. */
  imports?: ModuleMetadata['imports'];
}

export const OPENAPI_PATH = 'docs';

/** Builds the HTTP application exactly as production runs it; tests use the same function. */
export async function createApp(options: CreateAppOptions = {}): Promise<NestFastifyApplication> {
  const environment = validateEnvironment(process.env);
  const config = new AppConfig(environment);
  const adapter = new FastifyAdapter({
    bodyLimit: environment.HTTP_BODY_LIMIT_BYTES,
    genReqId: requestIdFor,
    requestIdHeader: false,
    // Off by default: X-Forwarded-For counts only through the proxies TRUST_PROXY names.
    trustProxy: config.trustProxy,
    // On close: finish in-flight requests, drop idle keep-alive sockets so shutdown does not hang.
    forceCloseConnections: 'idle',
  });
  const root = AppModule.forRoot({ workers: options.workers ?? environment.WORKERS_ENABLED });
  const app = await NestFactory.create<NestFastifyApplication>(
    { ...root, imports: [...(root.imports ?? []), ...(options.imports ?? [])] },
    adapter,
    // JSON only: Fastify's own parser; Nest's would also accept form bodies.
    { bufferLogs: true, bodyParser: false },
  );
  app.useLogger(app.get(Logger));
  app.useGlobalFilters(new ErrorEnvelopeFilter());
  app.useGlobalPipes(createValidationPipe());
  app.enableShutdownHooks();
  const fastify = app.getHttpAdapter().getInstance();
  keepRawBodyForWebhooks(fastify);
  registerClientOrigin(fastify, config.trustProxy, config.fraud.clientCountryHeader);
  refuseUnacceptableInput(fastify);
  registerConsole(fastify);
  registerHttpMetrics(fastify, app.get(MetricsRegistry));
  registerHttpTracing(fastify);
  let closing = false;
  // Draining: answers still in flight tell the client to drop the connection, so close() can finish.
  fastify.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  fastify.addHook('onSend', (request, reply, payload, done) => {
    void reply.header(REQUEST_ID_HEADER, request.id);
    if (closing) void reply.header('connection', 'close');
    done(null, payload);
  });

  const document = buildOpenApiDocument(app);
  SwaggerModule.setup(OPENAPI_PATH, app, document, { jsonDocumentUrl: `${OPENAPI_PATH}/openapi.json` });

  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  await app.get(MetricsServer).start();
  return app;
}
