import { productBySlug } from '../support/billing';
import { startSubscriptionTestApp, SubscriptionTestApp } from '../support/subscriptions';
import { expectBooksClean } from '../support/books';

const SUPPORT = { sub: 'staff_pause_support', roles: ['support'] };
const FINANCE = { sub: 'staff_pause_finance', roles: ['finance'] };

describe('staff pause and resume a subscription (e2e, controllable clock)', () => {
  let t: SubscriptionTestApp;
  let pro: string;

  beforeAll(async () => {
    t = await startSubscriptionTestApp('2026-04-01T00:00:00Z');
    pro = (await productBySlug(t, 'pro-monthly')).id;
  });
  afterAll(() => t.close());

  /** A paid monthly Pro subscription from 1 April (a 30-day period). */
  async function paidSubscription(user: string): Promise<string> {
    t.setNow('2026-04-01T00:00:00Z');
    await t.addCard(user);
    const created = await t.subscribe(user, { productId: pro, currency: 'USD', trialDays: 0 });
    expect(created.statusCode).toBe(201);
    await t.paidInvoicesOf(created.json().id, 1);
    return created.json().id;
  }
  const staff = (
    action: 'pause' | 'resume',
    id: string,
    payload: Record<string, unknown> | undefined,
    key: string | null,
    as: { sub: string; roles: string[] } = SUPPORT,
  ) =>
    t.inject({
      method: 'POST',
      url: `/v1/admin/subscriptions/${id}/${action}`,
      headers: { ...t.as(as), ...(key === null ? {} : { 'idempotency-key': key }) },
      ...(payload === undefined ? {} : { payload }),
    });
  const auditOf = (
    id: string,
  ): Promise<Array<{ action: string; actor_id: string; after: Record<string, unknown> }>> =>
    t.dataSource.query(
      `SELECT action, actor_id, after FROM platform.audit_log
        WHERE resource_type = 'subscription' AND resource_id = $1 AND action IN ('subscription.paused', 'subscription.resumed')
        ORDER BY occurred_at, id`,
      [id],
    );

  it('support pauses with a reason: audited with it, one event, and a replay of the key changes nothing', async () => {
    const id = await paidSubscription('user_staff_pause');
    t.setNow('2026-04-11T00:00:00Z');
    const paused = await staff('pause', id, { reason: 'customer travelling, asked by phone' }, `pause-${id}`);
    expect(paused.statusCode).toBe(200);
    expect(paused.json()).toMatchObject({ id, status: 'paused', pausedAt: '2026-04-11T00:00:00.000Z' });

    const replay = await staff('pause', id, { reason: 'customer travelling, asked by phone' }, `pause-${id}`);
    expect(replay.statusCode).toBe(200);
    expect(replay.json()).toEqual(paused.json());

    expect(await auditOf(id)).toEqual([
      {
        action: 'subscription.paused',
        actor_id: SUPPORT.sub,
        after: expect.objectContaining({ status: 'paused', reason: 'customer travelling, asked by phone' }),
      },
    ]);
    const events = (await t.dataSource.query(
      `SELECT envelope FROM platform.outbox_events WHERE type = 'billing.subscription.updated' AND subject = $1`,
      [id],
    )) as Array<{ envelope: { data: { from: string; to: string; change: string } } }>;
    expect(events.filter((row) => row.envelope.data.to === 'paused')).toEqual([
      {
        envelope: expect.objectContaining({
          data: expect.objectContaining({ from: 'active', change: 'status_changed' }),
        }),
      },
    ]);

    // Pausing again is a precise 409, not a second pause.
    const again = await staff('pause', id, { reason: 'double click' }, `pause-${id}-2`);
    expect(again.statusCode).toBe(409);
    expect(again.json().error).toMatchObject({
      code: 'INVALID_TRANSITION',
      message: `subscription ${id} is paused: it can move to active or canceled, not paused`,
    });

    // No invoice while paused: the billing run after the period end passes it by.
    const run = await t.runBillingAt('2026-05-15T00:00:00Z');
    expect(run.progress).toMatchObject({ failed: 0 });
    expect(await t.invoicesOf(id)).toHaveLength(1);

    // Finance resumes: a fresh period from now, invoiced and collected at once.
    const resumed = await staff('resume', id, { reason: 'customer back' }, `resume-${id}`, FINANCE);
    expect(resumed.statusCode).toBe(200);
    expect(resumed.json()).toMatchObject({
      status: 'active',
      pausedAt: null,
      currentPeriodStart: '2026-05-15T00:00:00.000Z',
    });
    const [, fresh] = await t.paidInvoicesOf(id, 2);
    expect(fresh).toMatchObject({ billing_reason: 'subscription_cycle', total: '4900' });
    expect((await auditOf(id)).map((row) => [row.action, row.actor_id, row.after.reason])).toEqual([
      ['subscription.paused', SUPPORT.sub, 'customer travelling, asked by phone'],
      ['subscription.resumed', FINANCE.sub, 'customer back'],
    ]);
  });

  it('refuses bad input with precise 4xx and changes nothing', async () => {
    const id = await paidSubscription('user_staff_pause_bad');
    // Resume charges, so it refuses to run without a key (pause honours one but is a plain state change).
    const noKey = await staff('resume', id, { reason: 'fine' }, null);
    expect(noKey.statusCode).toBe(400);
    expect(noKey.json().error.code).toBe('IDEMPOTENCY_KEY_REQUIRED');
    for (const [index, [payload, message]] of (
      [
        [undefined, 'reason must be 1 to 500 characters'],
        [{}, 'reason must be 1 to 500 characters'],
        [{ reason: '   ' }, 'reason must not be blank'],
        [{ reason: 'x'.repeat(501) }, 'reason must be 1 to 500 characters'],
        [{ reason: 'ok', extra: 1 }, 'property extra should not exist'],
      ] as const
    ).entries()) {
      const response = await staff('pause', id, payload, `bad-${index}-${id}`);
      expect(response.statusCode).toBe(400);
      expect(JSON.stringify(response.json().error)).toContain(message);
    }
    const trader = await staff('pause', id, { reason: 'me' }, 'trader-key', {
      sub: 'user_staff_pause_bad',
      roles: ['trader'],
    });
    expect(trader.statusCode).toBe(403);
    const unknown = await staff('pause', 'sub_01jzzzzzzzzzzzzzzzzzzzzzzz', { reason: 'x' }, 'unknown-key');
    expect(unknown.statusCode).toBe(404);
    const malformed = await staff('pause', 'nope', { reason: 'x' }, 'malformed-key');
    // A malformed id is answered like an unknown one.
    expect(malformed.statusCode).toBe(404);
    expect(malformed.json().error.code).toBe('NOT_FOUND');
    const notPaused = await staff('resume', id, { reason: 'x' }, 'resume-active');
    expect(notPaused.statusCode).toBe(409);
    expect(notPaused.json().error.message).toBe(
      `cannot resume subscription ${id}: it is active, and resume needs paused`,
    );
    const [row] = await t.dataSource.query(
      'SELECT status, paused_at FROM billing.subscriptions WHERE id = $1',
      [id],
    );
    expect(row).toEqual({ status: 'active', paused_at: null });
    expect(await auditOf(id)).toEqual([]);
  });

  it('refuses to pause a subscription set to cancel at its period end (it would never end)', async () => {
    const user = 'user_pause_canceling';
    const id = await paidSubscription(user);
    const scheduled = await t.inject({
      method: 'POST',
      url: `/v1/billing/subscriptions/${id}/cancel`,
      headers: t.trader(user),
      payload: { atPeriodEnd: true },
    });
    expect(scheduled.statusCode).toBe(200);
    for (const response of [
      await staff('pause', id, { reason: 'asked' }, `pause-canceling-${id}`),
      await t.inject({
        method: 'POST',
        url: `/v1/billing/subscriptions/${id}/pause`,
        headers: t.trader(user),
      }),
    ]) {
      expect(response.statusCode).toBe(409);
      expect(response.json().error.message).toBe(
        `subscription ${id} is set to cancel at its period end (2026-05-01T00:00:00.000Z): reactivate it or cancel it now instead of pausing`,
      );
    }
    // At its period end it is canceled as scheduled.
    await t.runBillingAt('2026-05-01T01:00:00Z');
    const [row] = await t.dataSource.query('SELECT status FROM billing.subscriptions WHERE id = $1', [id]);
    expect(row.status).toBe('canceled');
  });

  it('two staff pausing at once, then two resuming at once: one pause, one resume, one invoice', async () => {
    const id = await paidSubscription('user_staff_pause_race');
    t.setNow('2026-04-11T00:00:00Z');
    const pauses = await Promise.all([
      staff('pause', id, { reason: 'first click' }, `race-pause-a-${id}`),
      staff('pause', id, { reason: 'second click' }, `race-pause-b-${id}`, FINANCE),
    ]);
    expect(pauses.map((response) => response.statusCode).sort()).toEqual([200, 409]);

    t.setNow('2026-04-21T00:00:00Z');
    const resumes = await Promise.all([
      staff('resume', id, { reason: 'first click' }, `race-resume-a-${id}`),
      staff('resume', id, { reason: 'second click' }, `race-resume-b-${id}`, FINANCE),
      t.inject({
        method: 'POST',
        url: `/v1/billing/subscriptions/${id}/resume`,
        headers: t.trader('user_staff_pause_race'),
      }),
    ]);
    expect(resumes.map((response) => response.statusCode).sort()).toEqual([200, 409, 409]);
    const invoices = await t.paidInvoicesOf(id, 2);
    // The resume's invoice credits the 10 paid days still to come: 49.00 - 16.33.
    expect(invoices[1]).toMatchObject({ billing_reason: 'subscription_cycle', total: '3267' });
    expect((await auditOf(id)).map((row) => row.action)).toEqual([
      'subscription.paused',
      'subscription.resumed',
    ]);
  });

  it('leaves the books clean', async () => {
    await expectBooksClean(t.app);
  });
});
