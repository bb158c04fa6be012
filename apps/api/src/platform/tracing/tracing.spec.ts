import { currentTraceparent, inSpan, startSpanFrom, tracingEnabled } from './tracing';

// The SDK is started only by main.ts/worker.ts (when OTEL_EXPORTER_OTLP_ENDPOINT is set) and the
// tracing e2e suite; everywhere else every helper must be a no-op.
describe('tracing while off', () => {
  it('stores no traceparent, starts no span and runs the work as it is', async () => {
    expect(tracingEnabled()).toBe(false);
    expect(currentTraceparent()).toBeNull();
    const span = startSpanFrom('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', 'outbox.relay x');
    expect(span.traceparent).toBeNull();
    expect(() => span.end()).not.toThrow();
    await expect(inSpan('work', {}, (active) => Promise.resolve(active))).resolves.toBeNull();
    await expect(inSpan('work', {}, () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
  });
});
