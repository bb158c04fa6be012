import './platform/compile-cache';
import 'reflect-metadata';
import { startTracing } from './platform/tracing/tracing';
import { createApp, OPENAPI_PATH } from './bootstrap/create-app';
import { AppConfig } from './platform/config/app-config';
import { runMain } from './platform/run-main';

// Before the app: off unless OTEL_EXPORTER_OTLP_ENDPOINT is set.
startTracing({ serviceName: 'astrix-api' });

runMain(async () => {
  const app = await createApp();
  const config = app.get(AppConfig);
  await app.listen(config.port, config.host);
  const url = await app.getUrl();
  const base = url
    .replace('[::1]', 'localhost')
    .replace('0.0.0.0', 'localhost')
    .replace('127.0.0.1', 'localhost');
  process.stdout.write(`Astrix API listening on ${base}\nAPI docs: ${base}/${OPENAPI_PATH}\n`);
});
