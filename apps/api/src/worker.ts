import './platform/compile-cache';
import 'reflect-metadata';
import { createWorker } from './bootstrap/create-worker';
import { runMain } from './platform/run-main';
import { startTracing } from './platform/tracing/tracing';

// Before the app: off unless OTEL_EXPORTER_OTLP_ENDPOINT is set.
startTracing({ serviceName: 'astrix-worker' });

// Queue workers and the outbox relay without HTTP: the same modules the API runs.
runMain(async () => {
  await createWorker();
  process.stdout.write('Astrix workers running\n');
});
