import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import { validateEnvironment } from '../platform/config/environment';
import { MetricsServer } from '../platform/metrics/metrics-server';

/**
 * Builds the worker process exactly as production runs it (queue workers and the relays, no HTTP;
 * GET /metrics on METRICS_PORT when set); tests use the same function.
 */
export async function createWorker(): Promise<INestApplicationContext> {
  // Before Nest, so a configuration error reads as one message naming the variables.
  validateEnvironment(process.env);
  const app = await NestFactory.createApplicationContext(AppModule.forRoot({ workers: true }), {
    bufferLogs: true,
  });
  app.useLogger(app.get(Logger));
  app.enableShutdownHooks();
  await app.init();
  await app.get(MetricsServer).start();
  return app;
}
