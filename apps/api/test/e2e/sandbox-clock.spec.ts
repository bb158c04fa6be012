import { randomUUID } from 'node:crypto';
import { BillingTestApp, productBySlug, startBillingTestApp } from '../support/billing';
import { eventually } from '../support/test-app';
import { expectBooksClean } from '../support/books';
import { Clock, SystemClock } from '../../src/platform/clock';
import { SandboxClock } from '../../src/platform/sandbox/sandbox-clock';
import { InvoiceCollection } from '../../src/modules/billing/collection/invoice-collection.service';
import { IdempotencyStore } from '../../src/platform/idempotency/idempotency.store';

const DAY_S = 86_400;
const ADMIN = { sub: 'staff_sandbox_admin', roles: ['admin'] };
const FINANCE = { sub: 'staff_sandbox_finance', roles: ['finance'] };

/**
 * Issue #22, the sandbox clock: staff move "now" forward for every process (here another process is
 * a second SandboxClock on the same database) and the sandbox fake Stripe with it; billing runs,
 * period ends and payments then happen on that day. Off (404) without SANDBOX_CLOCK=true in the
 * sandbox, and then the clock is the system's, as in production. Real Postgres, Redis, workers.
 */
describe('sandbox clock (SANDBOX_CLOCK=true)', () => {
  let t: BillingTestApp;

  beforeAll(async () => {
    t = await startBillingTestApp({ env: { SANDBOX_CLOCK: 'true' } });
  });
  afterAll(() => t.close());

  const advance = (seconds: unknown, headers: Record<string, string> = t.as(ADMIN)) =>
    t.inject({
      method: 'POST',
      url: '/v1/admin/sandbox/clock/advance',
      headers: { ...headers, 'idempotency-key': randomUUID() },
      payload: { seconds },
    });
  const trader = (sub: string) => t.as({ sub, email: `${sub}@example.com` });
  /** A billing run started by finance, as of the sandbox's now. */
  const startBillingRun = () =>
    t.inject({ method: 'POST', url: '/v1/admin/billing-runs', headers: t.as(FINANCE), payload: {} });

  it('moves every process and the sandbox Stripe ahead; the billing run then renews on that day and Stripe charges on it', async () => {
    const user = 'user_sandbox_clock';
    const card = await t.inject({
      method: 'POST',
      url: '/v1/billing/payment-methods/setup-intent',
      headers: trader(user),
      payload: { paymentMethodId: 'pm_card_visa' },
    });
    expect(card.statusCode).toBe(201);
    const subscribed = await t.inject({
      method: 'POST',
      url: '/v1/billing/subscriptions',
      headers: trader(user),
      payload: { productId: (await productBySlug(t, 'pro-monthly')).id, currency: 'USD', trialDays: 0 },
    });
    expect(subscribed.statusCode).toBe(201);
    const subscription = subscribed.json() as { id: string; currentPeriodEnd: string };
    // Nothing is due today: a run now renews nothing.
    const early = await startBillingRun();
    expect(early.statusCode).toBeLessThan(300);

    const realBefore = Date.now();
    const moved = await advance(32 * DAY_S);

    expect([moved.statusCode, moved.statusCode === 200 ? '' : moved.body]).toEqual([200, '']);
    const view = moved.json() as { now: string; offsetSeconds: number; stripeClockMoved: boolean };
    expect(view.offsetSeconds).toBe(32 * DAY_S);
    expect(view.stripeClockMoved).toBe(true);
    const sandboxNow = new Date(view.now).getTime();
    expect(sandboxNow).toBeGreaterThanOrEqual(realBefore + 32 * DAY_S * 1000);
    expect(t.app.get(Clock).now().getTime()).toBeGreaterThanOrEqual(sandboxNow);
    // Another process of the deployment reads the same offset.
    const other = new SandboxClock(t.dataSource);
    await other.refresh();
    expect(other.offset).toBe(32 * DAY_S * 1000);
    expect(t.fake.controls.now().getTime()).toBeGreaterThanOrEqual(sandboxNow);
    const read = await t.inject({ method: 'GET', url: '/v1/admin/sandbox/clock', headers: t.as(ADMIN) });
    expect(read.statusCode).toBe(200);
    expect(read.json().offsetSeconds).toBe(32 * DAY_S);

    const run = await startBillingRun();
    expect(run.statusCode).toBeLessThan(300);
    const invoices = await eventually(async () => {
      const rows: Array<{
        id: string;
        status: string;
        billing_reason: string;
        period_start: Date;
        issued_at: Date;
      }> = await t.dataSource.query(
        `SELECT id, status, billing_reason, period_start, issued_at FROM billing.invoices
            WHERE subscription_id = $1 ORDER BY issued_at`,
        [subscription.id],
      );
      return rows.length === 2 && rows.every((row) => row.status === 'paid') ? rows : undefined;
    }, 30_000);
    const renewal = invoices[1];
    expect(renewal.billing_reason).toBe('subscription_cycle');
    expect(new Date(renewal.period_start).toISOString()).toBe(
      new Date(subscription.currentPeriodEnd).toISOString(),
    );
    expect(new Date(renewal.issued_at).getTime()).toBeGreaterThanOrEqual(sandboxNow);
    // Stripe's side of the renewal is dated on the sandbox day too: the charge and its event.
    const [{ stripe_charge_id: stripeChargeId }] = await t.dataSource.query(
      'SELECT stripe_charge_id FROM billing.charges WHERE invoice_id = $1',
      [renewal.id],
    );
    const charge = t.fake.state.charges.all().find((each) => each.id === stripeChargeId)!;
    expect(charge.created).toBeGreaterThanOrEqual(Math.floor(sandboxNow / 1000));
    const succeeded = t.fake.controls
      .sentEvents()
      .find(
        (event) =>
          event.type === 'charge.succeeded' && (event.data.object as { id: string }).id === charge.id,
      );
    expect(succeeded?.created).toBeGreaterThanOrEqual(Math.floor(sandboxNow / 1000));

    const audit = await t.dataSource.query(
      `SELECT actor_id, after FROM platform.audit_log WHERE action = 'sandbox.clock.advanced'`,
    );
    expect(audit).toEqual([{ actor_id: ADMIN.sub, after: expect.objectContaining({ seconds: 32 * DAY_S }) }]);
  });

  it('refuses to move back, too far, without an Idempotency-Key, and for anyone but an admin', async () => {
    for (const seconds of [0, -DAY_S, 367 * DAY_S, 1.5, 'a day']) {
      const refused = await advance(seconds);
      expect(refused.statusCode).toBe(400);
      const details = refused.json().error.details as Array<{ field: string }>;
      expect(details.length).toBeGreaterThan(0);
      expect(details.map((detail) => detail.field)).toEqual(details.map(() => 'seconds'));
    }
    const noKey = await t.inject({
      method: 'POST',
      url: '/v1/admin/sandbox/clock/advance',
      headers: t.as(ADMIN),
      payload: { seconds: DAY_S },
    });
    expect(noKey.statusCode).toBe(400);
    expect(noKey.json().error.code).toBe('IDEMPOTENCY_KEY_REQUIRED');
    expect((await advance(DAY_S, t.as(FINANCE))).statusCode).toBe(403);
    expect((await advance(DAY_S, trader('user_sandbox_clock'))).statusCode).toBe(403);
    const read = await t.inject({ method: 'GET', url: '/v1/admin/sandbox/clock', headers: t.as(ADMIN) });
    expect(read.json().offsetSeconds).toBe(32 * DAY_S);
  });

  it('ends a trial on its sandbox day, and retries the declined payment when its dunning retry day comes', async () => {
    const user = 'user_sandbox_dunning';
    expect(
      (
        await t.inject({
          method: 'POST',
          url: '/v1/billing/payment-methods/setup-intent',
          headers: trader(user),
          payload: { paymentMethodId: 'pm_card_visa' },
        })
      ).statusCode,
    ).toBe(201);
    const subscribed = await t.inject({
      method: 'POST',
      url: '/v1/billing/subscriptions',
      headers: trader(user),
      payload: { productId: (await productBySlug(t, 'pro-monthly')).id, currency: 'USD', trialDays: 7 },
    });
    expect([subscribed.statusCode, subscribed.statusCode === 201 ? '' : subscribed.body]).toEqual([201, '']);
    const subscription = subscribed.json() as { id: string; status: string };
    expect(subscription.status).toBe('trialing');

    // The trial ends 8 sandbox days later; the first charge is declined (DUNNING_RETRY_DAYS 1,3,5,7).
    expect((await advance(8 * DAY_S)).statusCode).toBe(200);
    t.fake.controls.declineNextPayments({ count: 1 });
    const run = await startBillingRun();
    expect(run.statusCode).toBeLessThan(300);
    const dunning = await eventually(async () => {
      const [row] = (await t.dataSource.query(
        `SELECT invoice_id, status, failed_attempts, next_attempt_at FROM billing.dunning_cases WHERE subscription_id = $1`,
        [subscription.id],
      )) as Array<{ invoice_id: string; status: string; failed_attempts: number; next_attempt_at: Date }>;
      return row?.failed_attempts === 1 ? row : undefined;
    }, 30_000);
    const clock = t.app.get(Clock);
    expect(new Date(dunning.next_attempt_at).getTime()).toBeGreaterThan(clock.now().getTime());
    const collection = t.app.get(InvoiceCollection);
    expect(await collection.collectDueRetries()).toBe(0);

    // A day later in the sandbox the retry is due, and the card pays.
    expect((await advance(DAY_S + 60)).statusCode).toBe(200);
    expect(await collection.collectDueRetries()).toBe(1);
    const paid = await eventually(async () => {
      const [row] = (await t.dataSource.query('SELECT status FROM billing.invoices WHERE id = $1', [
        dunning.invoice_id,
      ])) as Array<{ status: string }>;
      return row?.status === 'paid' ? row : undefined;
    }, 30_000);
    expect(paid.status).toBe('paid');
    const [after] = await t.dataSource.query('SELECT status FROM billing.subscriptions WHERE id = $1', [
      subscription.id,
    ]);
    expect(after.status).toBe('active');
  });

  // Idempotency keys age on real time: on the business clock, moving it days ahead made a request
  // still in flight look abandoned (5 minutes), and its client's retry ran it a second time.
  it('keeps a request in flight when the clock moves days ahead: the retry with its key waits', async () => {
    const store = t.app.get(IdempotencyStore);
    const request = {
      callerId: 'user:user_sandbox_idempotency',
      key: randomUUID(),
      method: 'POST',
      path: '/v1/admin/charges/ch_x/refunds',
      requestHash: 'h',
    };
    expect(await store.claim(request)).toEqual({ kind: 'claimed' });
    expect((await advance(2 * DAY_S)).statusCode).toBe(200);

    expect(await store.claim(request)).toEqual({ kind: 'in_progress' });
    await store.complete(request.callerId, request.key, 201, { id: 'ref_x' });
    expect(await store.claim(request)).toEqual({ kind: 'replay', status: 201, body: { id: 'ref_x' } });
  });

  it('leaves the books clean', async () => {
    await expectBooksClean(t.app);
  });
});

describe('sandbox clock off (no SANDBOX_CLOCK=true)', () => {
  let t: BillingTestApp;

  beforeAll(async () => {
    t = await startBillingTestApp();
  });
  afterAll(() => t.close());

  it('answers 404 SANDBOX_CLOCK_OFF, moves nothing, and the clock is the system clock', async () => {
    const moved = await t.inject({
      method: 'POST',
      url: '/v1/admin/sandbox/clock/advance',
      headers: { ...t.as(ADMIN), 'idempotency-key': randomUUID() },
      payload: { seconds: DAY_S },
    });
    expect(moved.statusCode).toBe(404);
    expect(moved.json().error.code).toBe('SANDBOX_CLOCK_OFF');
    expect(moved.json().error.message).toContain('SANDBOX_CLOCK=true');
    const read = await t.inject({ method: 'GET', url: '/v1/admin/sandbox/clock', headers: t.as(ADMIN) });
    expect(read.statusCode).toBe(404);
    expect(t.app.get(Clock)).toBeInstanceOf(SystemClock);
    expect(
      await t.dataSource.query('SELECT offset_ms::int AS offset_ms FROM platform.sandbox_clock'),
    ).toEqual([{ offset_ms: 0 }]);
  });
});
