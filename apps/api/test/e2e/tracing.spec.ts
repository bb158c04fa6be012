import { InMemorySpanExporter, ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { startTracing, stopTracing } from '../../src/platform/tracing/tracing';
import { BillingTestApp, purchase, startBillingTestApp } from '../support/billing';
import { expectBooksClean } from '../support/books';
import { eventually } from '../support/test-app';

/**
 * OpenTelemetry with an in-memory exporter: one purchase is one trace, from the checkout request
 * through the payment recorded from Stripe's event, the outbox relay and the events job to the
 * provisioning consumer, although each hop runs later and elsewhere (outbox row, queue job).
 */
describe('tracing', () => {
  const exporter = new InMemorySpanExporter();
  let t: BillingTestApp;

  beforeAll(async () => {
    expect(
      startTracing({ serviceName: 'astrix-test', spanProcessors: [new SimpleSpanProcessor(exporter)] }),
    ).toBe(true);
    t = await startBillingTestApp();
  });
  afterAll(async () => {
    await t.close();
    await stopTracing();
  });

  const spans = (): ReadableSpan[] => exporter.getFinishedSpans();
  const traceIdOf = (span: ReadableSpan): string => span.spanContext().traceId;

  it('carries one trace from checkout to provisioning through the outbox and the queue', async () => {
    const trader = { sub: 'user_traced', email: 'traced@example.com' };
    const { checkoutSessionId, charge } = await purchase(t, trader, 'evaluation-25k');
    await eventually(async () => {
      const [account] = await t.dataSource.query('SELECT id FROM accounts.accounts WHERE user_id = $1', [
        trader.sub,
      ]);
      return account as unknown;
    });
    const checkout = await eventually(async () =>
      spans().find((span) => span.name === 'POST /v1/billing/checkout-sessions'),
    );
    const traceId = traceIdOf(checkout);
    const inTrace = () => spans().filter((span) => traceIdOf(span) === traceId);
    // The consumer's transaction commits before its span ends, and the job's span ends after its
    // consumers: wait for both spans.
    await eventually(async () => {
      const ended = new Set(inTrace().map((span) => span.name));
      return (
        ended.has('event billing.payment.completed accounts.provisioning') && ended.has('job events.deliver')
      );
    });
    const names = inTrace().map((span) => span.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'POST /v1/billing/checkout-sessions',
        'checkout.complete-payment',
        'outbox.relay billing.payment.completed',
        'job events.deliver',
        'event billing.payment.completed accounts.provisioning',
      ]),
    );

    // Parent links: consumer ← job ← relay ← payment ← checkout request.
    const byName = (name: string) => inTrace().find((span) => span.name === name)!;
    const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;
    const relay = byName('outbox.relay billing.payment.completed');
    const job = inTrace().find(
      (span) => span.name === 'job events.deliver' && parentOf(span) === relay.spanContext().spanId,
    );
    expect(job).toBeDefined();
    expect(parentOf(byName('event billing.payment.completed accounts.provisioning'))).toBeDefined();
    // The payment may be completed twice (Stripe's webhook and the trader's return both try; one
    // records it): the relay's parent is one of those spans, the one whose traceparent the row kept.
    const completions = inTrace()
      .filter((span) => span.name === 'checkout.complete-payment')
      .map((span) => span.spanContext().spanId);
    expect(completions).toContain(parentOf(relay));

    // The outbox row keeps the traceparent of the span that wrote it.
    const [row] = await t.dataSource.query(
      `SELECT traceparent FROM platform.outbox_events WHERE type = 'billing.payment.completed' AND subject = $1`,
      [charge.id],
    );
    expect(row.traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-0[01]$`));
    expect(row.traceparent.split('-')[2]).toBe(parentOf(relay));
    const [session] = await t.dataSource.query(
      'SELECT traceparent FROM billing.checkout_sessions WHERE id = $1',
      [checkoutSessionId],
    );
    expect(session.traceparent).toMatch(new RegExp(`^00-${traceId}-`));
    await expectBooksClean(t.app);
  });
});
