import { randomUUID } from 'node:crypto';
import { DunningDesk, MonthClose } from '../../src/modules/billing';
import { InvoiceStaffActions } from '../../src/modules/billing/invoicing/invoice-staff-actions.service';
import { productBySlug, purchase } from '../support/billing';
import { expectBooksClean } from '../support/books';
import { startSubscriptionTestApp, SubscriptionTestApp } from '../support/subscriptions';
import { eventually } from '../support/test-app';

const FINANCE = { sub: 'staff_finance_close', roles: ['finance'] };
const STAFF = { actor: { kind: 'system', name: 'month-close-test' }, requestId: null } as const;

/**
 * A month of sandbox activity on a clock the test moves — evaluations bought, one refunded in half,
 * yearly and monthly subscriptions, an upgrade, a cancellation with credit, a staff credit note and
 * goodwill — then the month-end close: the trial balance balances, deferred + recognized = invoiced
 * net of credits per currency, no schedule is behind, the journal agrees with the schedules, and
 * the close export and recognition reports tell the same numbers.
 */
describe('month-end close over a month of sandbox activity (e2e, controllable clock)', () => {
  let t: SubscriptionTestApp;
  beforeAll(async () => {
    t = await startSubscriptionTestApp('2026-01-02T09:00:00Z');
  });
  afterAll(() => t.close());

  const get = async <T>(url: string, headers: Record<string, string> = {}): Promise<T> => {
    const response = await t.inject({ method: 'GET', url, headers: { ...t.as(FINANCE), ...headers } });
    if (response.statusCode !== 200) throw new Error(`${url}: ${response.statusCode} ${response.body}`);
    return (headers.accept === 'text/csv' ? response.body : response.json()) as T;
  };

  async function subscription(user: string, productId: string): Promise<string> {
    await t.addCard(user);
    const created = await t.subscribe(user, { productId, currency: 'USD', trialDays: 0 });
    expect(created.statusCode).toBe(201);
    const id = created.json().id as string;
    await t.paidInvoicesOf(id, 1);
    return id;
  }

  it('closes January: balanced, deferred + recognized = invoiced net of credits, reports agree', async () => {
    const yearly = await t.createPlan({ name: 'Close yearly', unitAmount: 99_000, interval: 'year' });
    const monthly = (await productBySlug(t, 'pro-monthly')).id;
    const elite = (await productBySlug(t, 'elite-monthly')).id;

    // Evaluations through the month; the second is refunded in half.
    t.setNow('2026-01-03T10:00:00Z');
    await purchase(t, { sub: 'close_eval_1', email: 'close.eval1@example.com' }, 'evaluation-25k');
    t.setNow('2026-01-08T10:00:00Z');
    const refunded = await purchase(
      t,
      { sub: 'close_eval_2', email: 'close.eval2@example.com' },
      'evaluation-25k',
    );

    // Subscriptions: a yearly plan, a monthly one upgraded mid-month, one canceled with credit.
    t.setNow('2026-01-05T12:00:00Z');
    await subscription('close_yearly', yearly);
    t.setNow('2026-01-10T12:00:00Z');
    const upgraded = await subscription('close_upgrade', monthly);
    const canceled = await subscription('close_cancel', monthly);
    t.setNow('2026-01-20T12:00:00Z');
    expect(
      (
        await t.inject({
          method: 'POST',
          url: `/v1/billing/subscriptions/${upgraded}/change-plan`,
          headers: t.trader('close_upgrade'),
          payload: { productId: elite },
        })
      ).statusCode,
    ).toBe(200);
    await t.paidInvoicesOf(upgraded, 2);
    t.setNow('2026-01-22T12:00:00Z');
    expect(
      (
        await t.inject({
          method: 'POST',
          url: `/v1/billing/subscriptions/${canceled}/cancel`,
          headers: t.trader('close_cancel'),
          payload: { atPeriodEnd: false, prorate: true },
        })
      ).statusCode,
    ).toBe(200);

    // Half of the second evaluation back; a staff credit note on the first; goodwill.
    t.setNow('2026-01-25T10:00:00Z');
    const refund = await t.inject({
      method: 'POST',
      url: `/v1/admin/charges/${String(refunded.charge.id)}/refunds`,
      headers: { ...t.as(FINANCE), 'idempotency-key': randomUUID() },
      payload: { amount: Math.floor(Number(refunded.charge.amount) / 2), reason: 'requested_by_customer' },
    });
    expect(refund.statusCode).toBe(201);
    await t.fake.flushWebhooks();
    await eventually(async () => {
      const [row] = await t.dataSource.query(`SELECT status FROM billing.refunds WHERE id = $1`, [
        refund.json().id,
      ]);
      return row?.status === 'succeeded' ? row : undefined;
    });
    const [firstEval]: Array<{ invoice_id: string; customer_id: string }> = await t.dataSource.query(
      `SELECT invoice_id, customer_id FROM billing.charges WHERE user_id = 'close_eval_1'`,
    );
    await t.app
      .get(InvoiceStaffActions)
      .issueCreditNote(firstEval.invoice_id, 500, 'goodwill on the invoice', STAFF);
    await t.app
      .get(DunningDesk)
      .goodwillCredit(
        firstEval.customer_id,
        { amount: 300, currency: 'USD', reason: 'sorry', reference: 'close-goodwill-1' },
        STAFF,
      );

    // The close, on 1 February.
    t.setNow('2026-02-01T00:30:00Z');
    const report = await t.app.get(MonthClose).close('2026-01');
    expect(report).toMatchObject({
      month: '2026-01',
      at: '2026-02-01T00:00:00.000Z',
      trialBalanceBalanced: true,
      schedulesBehind: 0,
      findings: [],
      closed: true,
    });
    expect(report.currencies).toEqual([expect.objectContaining({ currency: 'USD', balanced: true })]);
    const [usd] = report.currencies;
    expect(usd.recognized).toBeGreaterThan(0);
    expect(usd.deferred).toBeGreaterThan(0);
    expect(usd.deferred + usd.recognized).toBe(usd.invoicedNetOfCredits);
    // Closing again changes nothing: the run is idempotent.
    expect(await t.app.get(MonthClose).close('2026-01')).toEqual(report);

    // The waterfall's January closing is the deferred balance, and its outlook recognizes exactly that.
    const waterfall = await get<{
      data: Array<{
        currency: string;
        months: Array<{ month: string; closing: number; recognized: number }>;
        outlook: Array<{ month: string; amount: number }>;
      }>;
    }>('/v1/admin/recognition/deferred-waterfall?from=2026-01&to=2026-01');
    const [january] = waterfall.data[0].months;
    expect(january).toMatchObject({ month: '2026-01', closing: usd.deferred, recognized: usd.recognized });
    expect(waterfall.data[0].outlook.reduce((total, row) => total + row.amount, 0)).toBe(usd.deferred);
    expect(waterfall.data[0].outlook[0].month).toBe('2026-02');

    // Recognized revenue by kind: what the schedules earned in January.
    const recognized = await get<{ data: Array<{ productKind: string; overTime: number }> }>(
      '/v1/admin/recognition/recognized-revenue?from=2026-01-01&to=2026-02-01',
    );
    expect(recognized.data.reduce((total, row) => total + row.overTime, 0)).toBe(usd.recognized);
    expect(recognized.data.map((row) => row.productKind)).toEqual(
      expect.arrayContaining(['evaluation', 'subscription']),
    );

    // The close export: every line of January, balanced per currency, the same as CSV.
    const exported = await get<{
      lines: Array<{ debit: number; credit: number; reportingDebit: number; fxRate: string }>;
    }>('/v1/admin/ledger/journal-export?month=2026-01');
    expect(exported.lines).toHaveLength(report.exportLines);
    const debits = exported.lines.reduce((total, line) => total + line.debit, 0);
    const credits = exported.lines.reduce((total, line) => total + line.credit, 0);
    expect(debits).toBe(credits);
    expect(exported.lines.every((line) => line.fxRate === '1' && line.reportingDebit === line.debit)).toBe(
      true,
    );
    const csv = await get<string>('/v1/admin/ledger/journal-export?month=2026-01', { accept: 'text/csv' });
    expect(csv.split('\n')[0]).toBe(
      'date,occurred_at,entry_id,account,account_name,debit,credit,currency,reporting_currency,fx_rate,fx_source,fx_as_of,reporting_debit,reporting_credit,source_type,source_id,event,customer_id,product_kind,memo',
    );
    expect(csv.trim().split('\n')).toHaveLength(report.exportLines + 1);

    await expectBooksClean(t.app);
  });
});
