import { randomUUID } from 'node:crypto';
import { RevenueRecognition } from '../../src/modules/billing';
import { purchase } from '../support/billing';
import { checkBooks, expectBooksClean } from '../support/books';
import { startSubscriptionTestApp, SubscriptionTestApp } from '../support/subscriptions';
import { eventually } from '../support/test-app';

const FINANCE = { sub: 'staff_finance', roles: ['finance'] };

interface ScheduleRow {
  id: string;
  invoice_id: string;
  line_position: number;
  product_kind: string;
  amount: string;
  recognized: string;
  reduced: string;
  first_day: string;
  last_day: string;
}

/**
 * Issue #20's worked examples of revenue recognition, live: a yearly plan paid on 15 January, an
 * upgrade mid-year, half an evaluation refunded; deferred + recognized = invoiced net of credits and
 * books clean after each.
 */
describe('revenue recognition (e2e, controllable clock)', () => {
  let t: SubscriptionTestApp;
  let recognition: RevenueRecognition;
  let smallYearly: string;
  let bigYearly: string;

  beforeAll(async () => {
    t = await startSubscriptionTestApp('2026-01-15T10:00:00Z');
    recognition = t.app.get(RevenueRecognition);
    smallYearly = await t.createPlan({ name: 'Recognition yearly', unitAmount: 120_000, interval: 'year' });
    bigYearly = await t.createPlan({
      name: 'Recognition yearly plus',
      unitAmount: 240_000,
      interval: 'year',
    });
  });
  afterAll(() => t.close());

  const schedulesOf = (customerUser: string): Promise<ScheduleRow[]> =>
    t.dataSource.query(
      `SELECT s.id, s.invoice_id, s.line_position, s.product_kind, s.amount::text, s.recognized::text,
              s.reduced::text, to_char(s.first_day, 'YYYY-MM-DD') AS first_day, to_char(s.last_day, 'YYYY-MM-DD') AS last_day
         FROM billing.revenue_schedules s JOIN billing.invoices i ON i.id = s.invoice_id
        WHERE i.user_id = $1 ORDER BY i.issued_at, s.line_position`,
      [customerUser],
    );
  /** Revenue recognized by a user's schedules' entries that occurred in [from, to). */
  const recognizedBetween = async (user: string, from: string, to: string): Promise<number> => {
    const [row] = await t.dataSource.query(
      `SELECT COALESCE(sum(l.credit - l.debit), 0)::text AS amount
         FROM billing.journal_lines l JOIN billing.journal_entries e ON e.id = l.entry_id
         JOIN billing.revenue_schedules s ON s.id = e.source_id AND e.source_type = 'revenue_schedule'
         JOIN billing.invoices i ON i.id = s.invoice_id
        WHERE i.user_id = $1 AND l.account LIKE 'revenue_%' AND l.occurred_at >= $2 AND l.occurred_at < $3`,
      [user, from, to],
    );
    return Number(row.amount);
  };
  const accountOf = async (user: string, account: string): Promise<number> => {
    const [row] = await t.dataSource.query(
      `SELECT COALESCE(sum(l.credit - l.debit), 0)::text AS amount
         FROM billing.journal_lines l JOIN billing.customers c ON c.id = l.customer_id
        WHERE c.user_id = $1 AND l.account = $2`,
      [user, account],
    );
    return Number(row.amount);
  };
  const expectRecognitionClean = async () => {
    const findings = (await checkBooks(t.app)).findings.filter(
      (f) => f.kind === 'revenue_schedule_disagrees',
    );
    expect(findings).toEqual([]);
  };

  it('policies are data: finance reads them, an admin changes one (audited), later invoices follow it', async () => {
    const ADMIN = { sub: 'staff_recognition_admin', roles: ['admin'] };
    const listed = await t.inject({
      method: 'GET',
      url: '/v1/admin/recognition/policies',
      headers: t.as(FINANCE),
    });
    expect(listed.statusCode).toBe(200);
    expect(listed.json().data).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ productKind: 'evaluation', method: 'expected_duration', durationDays: 30 }),
        expect.objectContaining({
          productKind: 'subscription',
          method: 'service_period',
          durationDays: null,
        }),
        expect.objectContaining({ productKind: 'reset', method: 'point_in_time', durationDays: null }),
      ]),
    );
    const put = (kind: string, headers: Record<string, string>, payload: Record<string, unknown>) =>
      t.inject({ method: 'PUT', url: `/v1/admin/recognition/policies/${kind}`, headers, payload });
    // Finance reads, only admins change; a duration goes with expected_duration and only with it.
    expect((await put('add_on', t.as(FINANCE), { method: 'point_in_time' })).statusCode).toBe(403);
    const missing = await put('add_on', t.as(ADMIN), { method: 'expected_duration' });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().error.details).toEqual(
      expect.arrayContaining([expect.objectContaining({ field: 'durationDays' })]),
    );
    expect((await put('nonsense', t.as(ADMIN), { method: 'point_in_time' })).statusCode).toBe(400);

    const changed = await put('add_on', t.as(ADMIN), { method: 'expected_duration', durationDays: 10 });
    expect(changed.statusCode).toBe(200);
    expect(changed.json()).toMatchObject({
      productKind: 'add_on',
      method: 'expected_duration',
      durationDays: 10,
      updatedBy: 'user:staff_recognition_admin',
    });
    const [audit] = await t.dataSource.query(
      `SELECT actor_id, before, after FROM platform.audit_log WHERE action = 'recognition_policy.updated'`,
    );
    expect(audit).toMatchObject({
      actor_id: 'staff_recognition_admin',
      before: expect.objectContaining({ method: 'point_in_time' }),
      after: expect.objectContaining({ method: 'expected_duration', durationDays: 10 }),
    });
    // Back as it was.
    expect(
      (await put('add_on', t.as(ADMIN), { method: 'point_in_time', durationDays: null })).statusCode,
    ).toBe(200);

    // Evaluations earned at once for a while: a purchase then credits revenue and gets no schedule.
    expect((await put('evaluation', t.as(ADMIN), { method: 'point_in_time' })).statusCode).toBe(200);
    const user = 'user_recognition_policy';
    const { charge } = await purchase(
      t,
      { sub: user, email: 'recognition.policy@example.com' },
      'evaluation-25k',
    );
    expect(await accountOf(user, 'revenue_evaluation')).toBe(Number(charge.amount));
    expect(await accountOf(user, 'deferred_revenue')).toBe(0);
    expect(await schedulesOf(user)).toEqual([]);
    expect(
      (await put('evaluation', t.as(ADMIN), { method: 'expected_duration', durationDays: 30 })).statusCode,
    ).toBe(200);
  });

  it('a yearly plan paid on 15 January recognizes 17/365 in January, and all of it by the end of the year', async () => {
    const user = 'user_recognition_yearly';
    t.setNow('2026-01-15T10:00:00Z');
    await t.addCard(user);
    const created = await t.subscribe(user, { productId: smallYearly, currency: 'USD' });
    expect(created.statusCode).toBe(201);
    await t.paidInvoicesOf(created.json().id, 1);

    const [schedule] = await schedulesOf(user);
    expect(schedule).toMatchObject({
      product_kind: 'subscription',
      amount: '120000',
      first_day: '2026-01-15',
      last_day: '2027-01-14',
    });
    // Finalization deferred it all: nothing is revenue yet.
    expect(await accountOf(user, 'deferred_revenue')).toBe(120_000);
    expect(await accountOf(user, 'revenue_subscription')).toBe(0);

    // The run of 1 February recognizes January's 17 days: 120000 × 17 / 365 = 5589.04…
    t.setNow('2026-02-01T00:20:00Z');
    const run = await recognition.run();
    expect(run).toMatchObject({ through: '2026-01-31', entries: 17 });
    expect(await recognizedBetween(user, '2026-01-01', '2026-02-01')).toBe(5589);
    expect(await accountOf(user, 'deferred_revenue')).toBe(120_000 - 5589);
    // Idempotent: a second run of the same day posts nothing.
    expect(await recognition.run('2026-01-31')).toMatchObject({ entries: 0 });
    await expectRecognitionClean();

    // Days missed are caught up; the last day lands exactly on the amount.
    await recognition.run('2027-03-01');
    expect(await accountOf(user, 'revenue_subscription')).toBe(120_000);
    expect(await accountOf(user, 'deferred_revenue')).toBe(0);
    await expectRecognitionClean();
  });

  it('an upgrade mid-year re-spreads the remainder at the new price', async () => {
    const user = 'user_recognition_upgrade';
    t.setNow('2026-01-15T10:00:00Z');
    await t.addCard(user);
    const created = await t.subscribe(user, { productId: smallYearly, currency: 'USD' });
    expect(created.statusCode).toBe(201);
    const id = created.json().id as string;
    await t.paidInvoicesOf(id, 1);
    await recognition.run('2026-07-14');
    const before = await accountOf(user, 'revenue_subscription');

    t.setNow('2026-07-15T10:00:00Z');
    const changed = await t.inject({
      method: 'POST',
      url: `/v1/billing/subscriptions/${id}/change-plan`,
      headers: t.trader(user),
      payload: { productId: bigYearly },
    });
    expect(changed.statusCode).toBe(200);
    const [, upgrade] = await t.paidInvoicesOf(id, 2);
    const lines: Array<{ kind: string; amount: string }> = await t.dataSource.query(
      'SELECT kind, amount::text FROM billing.invoice_lines WHERE invoice_id = $1 ORDER BY position',
      [upgrade.id],
    );
    const credit = Number(lines.find((line) => line.kind === 'proration_credit')?.amount ?? 0);
    const charge = lines
      .filter((line) => line.kind !== 'proration_credit')
      .reduce((total, line) => total + Number(line.amount), 0);
    expect(credit).toBeLessThan(0);
    // The proration lines have schedules of their own over the rest of the period.
    expect((await schedulesOf(user)).map((row) => row.first_day)).toEqual([
      '2026-01-15',
      '2026-07-15',
      '2026-07-15',
    ]);
    // The unused part of the old plan came off deferred revenue, not revenue.
    expect(await accountOf(user, 'revenue_subscription')).toBe(before);

    // August is recognized at the new plan's rate: 240000 × 31 / 365 = 20383.5…, within rounding.
    await recognition.run('2026-08-31');
    const august = await recognizedBetween(user, '2026-08-01', '2026-09-01');
    expect(Math.abs(august - Math.round((240_000 * 31) / 365))).toBeLessThanOrEqual(3);

    // By the end of the period, revenue is exactly what was invoiced; nothing is left deferred.
    await recognition.run('2027-01-31');
    expect(await accountOf(user, 'revenue_subscription')).toBe(120_000 + credit + charge);
    expect(await accountOf(user, 'deferred_revenue')).toBe(0);
    await expectRecognitionClean();
  });

  it('a voided invoice takes back what its schedule recognized, and recognizes nothing more', async () => {
    const user = 'user_recognition_void';
    t.setNow('2026-03-01T10:00:00Z');
    // A card that waits for 3-D Secure: the first invoice stays open (and earns) until voided.
    const setup = await t.addCard(user, 'pm_card_threeDSecure2Required');
    if (setup.status === 'requires_action') t.fake.controls.authenticate(String(setup.id), true);
    const cards = await t.inject({
      method: 'GET',
      url: '/v1/billing/payment-methods',
      headers: t.trader(user),
    });
    const [card] = cards.json() as Array<{ id: string }>;
    expect(
      (
        await t.inject({
          method: 'POST',
          url: `/v1/billing/payment-methods/${card.id}/default`,
          headers: t.trader(user),
        })
      ).statusCode,
    ).toBeLessThan(300);
    const created = await t.subscribe(user, { productId: smallYearly, currency: 'USD', trialDays: 0 });
    expect(created.statusCode).toBe(201);
    const [invoice] = await t.invoicesOf(created.json().id);
    expect(invoice.status).toBe('open');
    await recognition.run('2026-03-10');
    expect(await accountOf(user, 'revenue_subscription')).toBe(Math.round((120_000 * 10) / 365));

    t.setNow('2026-03-11T10:00:00Z');
    const voided = await t.inject({
      method: 'POST',
      url: `/v1/admin/invoices/${invoice.id}/void`,
      headers: { ...t.as(FINANCE), 'idempotency-key': randomUUID() },
      payload: { reason: 'customer asked to cancel' },
    });
    expect(voided.statusCode).toBe(200);
    expect(await accountOf(user, 'revenue_subscription')).toBe(0);
    expect(await accountOf(user, 'deferred_revenue')).toBe(0);
    await recognition.run('2026-12-31');
    expect(await accountOf(user, 'revenue_subscription')).toBe(0);
    const [schedule] = await schedulesOf(user);
    expect(schedule).toMatchObject({ amount: '120000', recognized: '0', reduced: '120000' });
    await expectRecognitionClean();
  });

  it('a refund of half an evaluation reverses half of its unrecognized part', async () => {
    const user = 'user_recognition_evaluation';
    t.setNow('2026-03-01T09:00:00Z');
    const { charge } = await purchase(
      t,
      { sub: user, email: 'recognition.eval@example.com' },
      'evaluation-25k',
    );
    const amount = Number(charge.amount);
    const [schedule] = await schedulesOf(user);
    expect(schedule).toMatchObject({ product_kind: 'evaluation', amount: String(amount) });

    // Ten days of the 30-day expected duration are recognized.
    const tenth = new Date(Date.parse(`${schedule.first_day}T00:00:00Z`) + 9 * 86_400_000)
      .toISOString()
      .slice(0, 10);
    await recognition.run(tenth);
    const recognized = await accountOf(user, 'revenue_evaluation');
    expect(recognized).toBe(Math.round((amount * 10) / 30));
    const unrecognized = amount - recognized;

    const half = Math.floor(amount / 2);
    const refund = await t.inject({
      method: 'POST',
      url: `/v1/admin/charges/${String(charge.id)}/refunds`,
      headers: { ...t.as(FINANCE), 'idempotency-key': randomUUID() },
      payload: { amount: half, reason: 'requested_by_customer' },
    });
    expect(refund.statusCode).toBe(201);
    await t.fake.flushWebhooks();
    await eventually(async () => {
      const [row] = await t.dataSource.query(`SELECT status FROM billing.refunds WHERE id = $1`, [
        refund.json().id,
      ]);
      return row?.status === 'succeeded' ? row : undefined;
    });
    const [after] = await schedulesOf(user);
    // Half of the price reverses half of the unrecognized part (deferred), the rest stays on refunds.
    expect(Math.abs(Number(after.reduced) - unrecognized / 2)).toBeLessThanOrEqual(1);
    expect(await accountOf(user, 'deferred_revenue')).toBe(unrecognized - Number(after.reduced));

    // The rest of the duration recognizes what is left; revenue net of refunds is what was kept.
    await recognition.run('2026-12-31');
    expect(await accountOf(user, 'deferred_revenue')).toBe(0);
    const kept = (await accountOf(user, 'revenue_evaluation')) + (await accountOf(user, 'refunds'));
    expect(kept).toBe(amount - half);
    await expectRecognitionClean();
    await expectBooksClean(t.app);
  });
});
