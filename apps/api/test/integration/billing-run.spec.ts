import { Clock } from '../../src/platform/clock';
import { newId } from '../../src/platform/ids';
import { BillingRuns } from '../../src/modules/billing/subscriptions/billing-runs.service';
import { startTestApp, TestApp } from '../support/test-app';

const SYSTEM = { actor: { kind: 'system', name: 'test' }, requestId: null } as const;

interface SeedOptions {
  count: number;
  currency?: string;
  unitAmount?: number;
  quantity?: number;
  /** Billing anchor; the current period is the one starting at the anchor. */
  anchor: Date;
  periodEnd: Date;
  status?: string;
  interval?: 'month' | 'year';
}

/** Customers and subscriptions written straight to the database: the run only reads them. */
async function seedSubscriptions(t: TestApp, productId: string, options: SeedOptions): Promise<string[]> {
  const ids: string[] = [];
  const customers: string[] = [];
  for (let index = 0; index < options.count; index += 1) {
    ids.push(newId('sub'));
    customers.push(newId('cust'));
  }
  await t.dataSource.query(
    `INSERT INTO billing.customers (id, user_id, email, created_at)
     SELECT c, 'user_' || c, NULL, now() FROM unnest($1::text[]) AS c`,
    [customers],
  );
  await t.dataSource.query(
    `INSERT INTO billing.subscriptions (id, customer_id, user_id, product_id, price_id, currency, unit_amount, quantity,
       status, interval, interval_count, billing_anchor, trial_end, current_period_start, current_period_end,
       created_at, updated_at)
     SELECT s, c, 'user_' || c, $3, 'prc_test', $4, $5, $6, $7, $8, 1, $9, NULL, $9, $10, $9, $9
       FROM unnest($1::text[], $2::text[]) AS u(s, c)`,
    [
      ids,
      customers,
      productId,
      options.currency ?? 'USD',
      options.unitAmount ?? 4900,
      options.quantity ?? 1,
      options.status ?? 'active',
      options.interval ?? 'month',
      options.anchor,
      options.periodEnd,
    ],
  );
  return ids;
}

describe('billing run', () => {
  let t: TestApp;
  let runs: BillingRuns;
  let productId: string;
  let now: Date;

  beforeAll(async () => {
    t = await startTestApp();
    runs = t.app.get(BillingRuns);
    now = new Date('2026-03-01T00:00:00Z');
    jest.spyOn(t.app.get(Clock), 'now').mockImplementation(() => new Date(now.getTime()));
    productId = newId('prd');
    await t.dataSource.query(
      `INSERT INTO billing.products (id, kind, name, description, attributes, slug, status, created_at, updated_at)
       VALUES ($1, 'subscription', 'Run Plan', NULL, '{}', $2, 'active', now(), now())`,
      [productId, `run-plan-${productId.slice(-6)}`],
    );
  });
  afterAll(() => t.close());
  // Each test bills only its own subscriptions: earlier ones would otherwise catch up years of periods.
  beforeEach(() => t.dataSource.query(`UPDATE billing.subscriptions SET status = 'canceled'`));

  async function invoicesFor(ids: string[]) {
    return t.dataSource.query(
      `SELECT subscription_id, number, total, currency, period_start, period_end, status
         FROM billing.invoices WHERE subscription_id = ANY($1) ORDER BY subscription_id, period_start`,
      [ids],
    );
  }

  it('two runs over the same subscriptions at once issue exactly one invoice per period, with gap-free numbers', async () => {
    now = new Date('2026-03-01T00:00:00Z');
    const ids = await seedSubscriptions(t, productId, {
      count: 300,
      anchor: new Date('2026-01-15T00:00:00Z'),
      periodEnd: new Date('2026-02-15T00:00:00Z'),
    });
    const first = await runs.create('manual', SYSTEM, now);
    const second = await runs.create('manual', SYSTEM, now);
    const [a, b] = await Promise.all([
      runs.execute(first.id, { batchSize: 25, parallelism: 2 }),
      runs.execute(second.id, { batchSize: 25, parallelism: 2 }),
    ]);
    expect(a.progress.invoicesCreated + b.progress.invoicesCreated).toBe(300);
    expect(a.progress.invoicesCreated).toBeGreaterThan(0);
    expect(b.progress.invoicesCreated).toBeGreaterThan(0);
    const invoices = await invoicesFor(ids);
    expect(invoices).toHaveLength(300);
    expect(
      new Set(invoices.map((invoice: { subscription_id: string }) => invoice.subscription_id)).size,
    ).toBe(300);
    // A re-run finds nothing due.
    const again = await runs.execute((await runs.create('manual', SYSTEM, now)).id);
    expect(again.progress).toMatchObject({ invoicesCreated: 0, remaining: 0 });
    const numbers: string[] = (
      await t.dataSource.query(
        `SELECT number FROM billing.invoices WHERE number LIKE 'AST-2026-%' ORDER BY number`,
      )
    ).map((row: { number: string }) => row.number);
    const sequences = numbers.map((number) => Number(number.slice(-6)));
    expect(sequences).toEqual(sequences.map((_, index) => index + 1));
  });

  it('resumes a run that crashed midway without issuing any period twice', async () => {
    now = new Date('2026-03-01T00:00:00Z');
    const ids = await seedSubscriptions(t, productId, {
      count: 120,
      anchor: new Date('2026-01-20T00:00:00Z'),
      periodEnd: new Date('2026-02-20T00:00:00Z'),
    });
    const run = await runs.create('manual', SYSTEM, now);
    // The process dies after two batches (the third batch never commits).
    const partial = await runs.execute(run.id, { batchSize: 20, parallelism: 1, maxBatches: 2 });
    expect(partial).toMatchObject({ status: 'running', progress: { invoicesCreated: 40, remaining: 80 } });
    expect(await invoicesFor(ids)).toHaveLength(40);

    const resumed = await runs.execute(run.id, { batchSize: 20, parallelism: 2 });
    expect(resumed).toMatchObject({
      status: 'completed',
      progress: { invoicesCreated: 120, failed: 0, remaining: 0 },
    });
    expect(await invoicesFor(ids)).toHaveLength(120);
  });

  it('rolls a failing batch back and isolates the subscription that cannot be invoiced', async () => {
    now = new Date('2026-03-01T00:00:00Z');
    const good = await seedSubscriptions(t, productId, {
      count: 5,
      anchor: new Date('2026-01-25T00:00:00Z'),
      periodEnd: new Date('2026-02-25T00:00:00Z'),
    });
    // A currency pricing does not know cannot be invoiced.
    const [bad] = await seedSubscriptions(t, productId, {
      count: 1,
      currency: 'XXX',
      anchor: new Date('2026-01-25T00:00:00Z'),
      periodEnd: new Date('2026-02-25T00:00:00Z'),
    });
    const run = await runs.execute((await runs.create('manual', SYSTEM, now)).id, { batchSize: 10 });
    expect(run.progress).toMatchObject({ invoicesCreated: 5, failed: 1, remaining: 0 });
    expect(run.failures).toEqual([{ subscriptionId: bad, error: expect.stringContaining('XXX') }]);
    expect(await invoicesFor(good)).toHaveLength(5);
    expect(await invoicesFor([bad])).toHaveLength(0);
  });

  // A batch's last statements (its invoices, their events and audit rows) go out pipelined together,
  // after its numbers are taken: one refused there must roll the whole batch back, numbers included.
  it('rolls a batch refused at its last statements back whole, numbers included, and isolates the cause', async () => {
    now = new Date('2026-03-01T00:00:00Z');
    const subscriptions = await seedSubscriptions(t, productId, {
      count: 4,
      anchor: new Date('2026-01-25T00:00:00Z'),
      periodEnd: new Date('2026-02-25T00:00:00Z'),
    });
    const refused = subscriptions[2];
    const [{ last }] = await t.dataSource.query(
      `SELECT COALESCE(max(last_number), 0)::int AS last FROM billing.document_number_series WHERE series = 'invoice-2026'`,
    );
    await t.dataSource.query(
      `CREATE FUNCTION public.refuse_test_invoice() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         IF NEW.subscription_id = '${refused}' THEN RAISE EXCEPTION 'invoice refused for the test'; END IF;
         RETURN NEW;
       END $$`,
    );
    await t.dataSource.query(
      `CREATE TRIGGER refuse_test_invoice BEFORE INSERT ON billing.invoices
         FOR EACH ROW EXECUTE FUNCTION public.refuse_test_invoice()`,
    );
    try {
      const run = await runs.execute((await runs.create('manual', SYSTEM, now)).id, { batchSize: 10 });
      expect(run.progress).toMatchObject({ invoicesCreated: 3, failed: 1, remaining: 0 });
      expect(run.failures).toEqual([
        { subscriptionId: refused, error: expect.stringContaining('invoice refused for the test') },
      ]);
    } finally {
      await t.dataSource.query(`DROP TRIGGER refuse_test_invoice ON billing.invoices`);
      await t.dataSource.query(`DROP FUNCTION public.refuse_test_invoice()`);
    }
    const issued: Array<{ subscription_id: string; number: string }> = await invoicesFor(subscriptions);
    expect(issued.map((invoice) => invoice.subscription_id).sort()).toEqual(
      subscriptions.filter((id) => id !== refused).sort(),
    );
    // The numbers the refused batch took were given back: the three invoices follow the last one before.
    expect(issued.map((invoice) => Number(invoice.number.split('-').pop())).sort((a, b) => a - b)).toEqual([
      last + 1,
      last + 2,
      last + 3,
    ]);
    // Nothing of the refused subscription's batch stayed: its period was not advanced, and no
    // finalized event names an invoice that does not exist.
    const [kept] = await t.dataSource.query(
      `SELECT current_period_end FROM billing.subscriptions WHERE id = $1`,
      [refused],
    );
    expect(kept.current_period_end).toEqual(new Date('2026-02-25T00:00:00Z'));
    expect(
      await t.dataSource.query(
        `SELECT o.subject FROM platform.outbox_events o
          WHERE o.type = 'billing.invoice.finalized'
            AND NOT EXISTS (SELECT 1 FROM billing.invoices i WHERE i.id = o.subject)`,
      ),
    ).toEqual([]);
  });

  it("spends one customer's credit across two of their subscriptions in one batch, in order, with balanced books", async () => {
    now = new Date('2026-03-01T00:00:00Z');
    const customerId = newId('cust');
    const ids = [newId('sub'), newId('sub')].sort();
    await t.dataSource.query(
      `INSERT INTO billing.customers (id, user_id, email, created_at) VALUES ($1, 'user_' || $1, NULL, now())`,
      [customerId],
    );
    await t.dataSource.query(
      `INSERT INTO billing.subscriptions (id, customer_id, user_id, product_id, price_id, currency, unit_amount, quantity,
         status, interval, interval_count, billing_anchor, trial_end, current_period_start, current_period_end,
         created_at, updated_at)
       SELECT s, $2, 'user_' || $2, $3, 'prc_test', 'USD', 4900, 1, 'active', 'month', 1, $4, NULL, $4, $5, $4, $4
         FROM unnest($1::text[]) AS s`,
      [ids, customerId, productId, new Date('2026-01-27T00:00:00Z'), new Date('2026-02-27T00:00:00Z')],
    );
    await t.dataSource.query(
      `INSERT INTO billing.customer_balances (customer_id, currency, balance, updated_at) VALUES ($1, 'USD', 6000, now())`,
      [customerId],
    );
    const run = await runs.execute((await runs.create('manual', SYSTEM, now)).id, { batchSize: 10 });
    expect(run.progress).toMatchObject({ invoicesCreated: 2, failed: 0, remaining: 0 });
    const invoices = await t.dataSource.query(
      `SELECT id, status, credit_applied::int AS credit, amount_due::int AS due FROM billing.invoices
        WHERE subscription_id = ANY($1) ORDER BY subscription_id`,
      [ids],
    );
    expect(invoices).toEqual([
      expect.objectContaining({ status: 'paid', credit: 4900, due: 0 }),
      expect.objectContaining({ status: 'open', credit: 1100, due: 3800 }),
    ]);
    const [{ balance }] = await t.dataSource.query(
      `SELECT balance::int AS balance FROM billing.customer_balances WHERE customer_id = $1 AND currency = 'USD'`,
      [customerId],
    );
    expect(balance).toBe(0);
    const movements = await t.dataSource.query(
      `SELECT invoice_id, amount::int AS amount, balance_after::int AS after, kind, reference
         FROM billing.customer_balance_transactions WHERE customer_id = $1 ORDER BY balance_after DESC`,
      [customerId],
    );
    expect(movements).toEqual([
      {
        invoice_id: invoices[0].id,
        amount: -4900,
        after: 1100,
        kind: 'applied_to_invoice',
        reference: `invoice:${invoices[0].id}:credit-applied`,
      },
      {
        invoice_id: invoices[1].id,
        amount: -1100,
        after: 0,
        kind: 'applied_to_invoice',
        reference: `invoice:${invoices[1].id}:credit-applied`,
      },
    ]);
    // Each movement is posted once, balanced: customer credit debited, receivable credited.
    const postings = await t.dataSource.query(
      `SELECT e.source_id, l.account, sum(l.debit)::int AS debit, sum(l.credit)::int AS credit
         FROM billing.journal_entries e JOIN billing.journal_lines l ON l.entry_id = e.id
        WHERE e.source_type = 'customer_balance_transaction' AND e.customer_id = $1
        GROUP BY e.source_id, l.account ORDER BY sum(l.debit + l.credit) DESC, l.account`,
      [customerId],
    );
    expect(postings).toEqual([
      expect.objectContaining({ account: 'accounts_receivable', debit: 0, credit: 4900 }),
      expect.objectContaining({ account: 'customer_credit', debit: 4900, credit: 0 }),
      expect.objectContaining({ account: 'accounts_receivable', debit: 0, credit: 1100 }),
      expect.objectContaining({ account: 'customer_credit', debit: 1100, credit: 0 }),
    ]);
    expect(new Set(postings.map((row: { source_id: string }) => row.source_id)).size).toBe(2);
  });

  it('keeps month-end anchors on the last day of short months, leap years included', async () => {
    now = new Date('2028-05-01T00:00:00Z');
    const [id] = await seedSubscriptions(t, productId, {
      count: 1,
      anchor: new Date('2027-12-31T09:30:00Z'),
      periodEnd: new Date('2028-01-31T09:30:00Z'),
    });
    // One run catches up every period that ended while nobody ran it.
    await runs.execute((await runs.create('manual', SYSTEM, now)).id);
    const periods = (await invoicesFor([id])).map(
      (invoice: { period_start: Date; period_end: Date }) =>
        `${invoice.period_start.toISOString().slice(0, 10)}→${invoice.period_end.toISOString().slice(0, 10)}`,
    );
    expect(periods).toEqual([
      '2028-01-31→2028-02-29',
      '2028-02-29→2028-03-31',
      '2028-03-31→2028-04-30',
      '2028-04-30→2028-05-31',
    ]);
    const [subscription] = await t.dataSource.query(
      'SELECT current_period_start, current_period_end FROM billing.subscriptions WHERE id = $1',
      [id],
    );
    expect(subscription.current_period_end.toISOString()).toBe('2028-05-31T09:30:00.000Z');
  });

  it('renews a Feb 29 anniversary on Feb 28 in common years and invoices in each currency exponent', async () => {
    now = new Date('2029-03-01T00:00:00Z');
    const [yearly] = await seedSubscriptions(t, productId, {
      count: 1,
      interval: 'year',
      unitAmount: 49_000,
      anchor: new Date('2028-02-29T00:00:00Z'),
      periodEnd: new Date('2029-02-28T00:00:00Z'),
    });
    const [yen] = await seedSubscriptions(t, productId, {
      count: 1,
      currency: 'JPY',
      unitAmount: 4_900,
      quantity: 3,
      anchor: new Date('2029-01-10T00:00:00Z'),
      periodEnd: new Date('2029-02-10T00:00:00Z'),
    });
    const [dinar] = await seedSubscriptions(t, productId, {
      count: 1,
      currency: 'KWD',
      unitAmount: 15_250,
      quantity: 2,
      anchor: new Date('2029-01-10T00:00:00Z'),
      periodEnd: new Date('2029-02-10T00:00:00Z'),
    });
    await runs.execute((await runs.create('manual', SYSTEM, now)).id);
    const [yearlyInvoice] = await invoicesFor([yearly]);
    expect(yearlyInvoice.period_end.toISOString()).toBe('2030-02-28T00:00:00.000Z');
    expect(yearlyInvoice.total).toBe('49000');
    expect(await invoicesFor([yen])).toEqual([expect.objectContaining({ currency: 'JPY', total: '14700' })]);
    expect(await invoicesFor([dinar])).toEqual([
      expect.objectContaining({ currency: 'KWD', total: '30500' }),
    ]);
  });

  it('the scheduler resumes an unfinished scheduled run before starting a new one', async () => {
    now = new Date('2026-03-01T00:00:00Z');
    const ids = await seedSubscriptions(t, productId, {
      count: 30,
      anchor: new Date('2026-01-28T00:00:00Z'),
      periodEnd: new Date('2026-02-28T00:00:00Z'),
    });
    const crashed = await runs.create('schedule', SYSTEM, now);
    await runs.execute(crashed.id, { batchSize: 10, parallelism: 1, maxBatches: 1 });
    const resumed = await runs.startScheduled();
    expect(resumed).toMatchObject({ id: crashed.id, status: 'completed', progress: { invoicesCreated: 30 } });
    expect(await invoicesFor(ids)).toHaveLength(30);
    // Nothing left to resume or bill: the tick records no empty run.
    expect(await runs.startScheduled()).toBeNull();
    now = new Date('2026-04-01T00:00:00Z');
    const next = await runs.startScheduled();
    expect(next?.id).not.toBe(crashed.id);
    expect(next).toMatchObject({
      trigger: 'schedule',
      status: 'completed',
      progress: { invoicesCreated: 30 },
    });
  });

  it('waits out the late-usage grace before closing a period', async () => {
    now = new Date('2026-04-01T00:30:00Z');
    const ids = await seedSubscriptions(t, productId, {
      count: 3,
      anchor: new Date('2026-03-01T00:00:00Z'),
      periodEnd: new Date('2026-04-01T00:00:00Z'),
    });
    const early = await runs.execute((await runs.create('manual', SYSTEM, now)).id);
    expect(early.progress).toMatchObject({ invoicesCreated: 0, remaining: 0 });
    expect(await invoicesFor(ids)).toHaveLength(0);
    now = new Date('2026-04-01T01:00:00Z');
    const due = await runs.execute((await runs.create('manual', SYSTEM, now)).id);
    expect(due.progress).toMatchObject({ invoicesCreated: 3, remaining: 0 });
  });
});
