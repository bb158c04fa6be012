import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { AppModule } from './bootstrap/app.module';
import { validateEnvironment } from './platform/config/environment';
import { MetricsServer } from './platform/metrics/metrics-server';
import { runMain } from './platform/run-main';
import { startTracing } from './platform/tracing/tracing';

// Queue workers and the outbox relay without HTTP: the same modules the API runs.
// Before the app: off unless OTEL_EXPORTER_OTLP_ENDPOINT is set.
startTracing({ serviceName: 'astrix-worker' });

runMain(async () => {
  // Before Nest, so a configuration error reads as one message naming the variables.
  validateEnvironment(process.env);
  const app = await NestFactory.createApplicationContext(AppModule.forRoot({ workers: true }), {
    bufferLogs: true,
  });
  app.useLogger(app.get(Logger));
  app.enableShutdownHooks();
  await app.init();
  await app.get(MetricsServer).start();
  process.stdout.write('Astrix workers running\n');
});
