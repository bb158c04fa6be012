import type { CustomerStatementView, RevenueRow, TrialBalanceView } from '@astrix/contracts';
import type { EntityManager } from 'typeorm';
import type { LedgerAccountCode, RevenueKind } from '../../src/modules/billing/ledger/chart-of-accounts';
import { Journal, type JournalEntryDraft } from '../../src/modules/billing/ledger/journal.service';
import { LedgerReports } from '../../src/modules/billing/reports/ledger-reports.service';
import { RevenueReports } from '../../src/modules/billing/reports/revenue-report.service';
import { startTestApp, TestApp } from '../support/test-app';

const ALICE = 'cust_01jledgerreportsalice0000';
const BOB = 'cust_01jledgerreportsbob000000';

type Line = [account: LedgerAccountCode, debit: number, credit: number, productKind?: RevenueKind];

/**
 * Entries posted by hand through Journal, with fixed dates, as the postings of the finance table
 * would post them, so every figure below can be worked out on paper.
 */
const ENTRIES: Array<
  [
    id: string,
    at: string,
    customer: string,
    currency: string,
    sourceType: JournalEntryDraft['sourceType'],
    event: string,
    lines: Line[],
  ]
> = [
  // A 110.00 evaluation with 10.00 off, paid by card.
  [
    'inv_1',
    '2026-03-01T10:00:00Z',
    ALICE,
    'USD',
    'invoice',
    'invoice.finalized',
    [
      ['accounts_receivable', 10000, 0],
      ['discounts', 1000, 0, 'evaluation'],
      ['revenue_evaluation', 0, 11000],
    ],
  ],
  [
    'chg_1',
    '2026-03-01T10:00:05Z',
    ALICE,
    'USD',
    'charge',
    'charge.succeeded',
    [
      ['processor_clearing', 10000, 0],
      ['accounts_receivable', 0, 10000],
    ],
  ],
  // Bob, in euros: a reset billed, not paid.
  [
    'inv_b',
    '2026-03-03T00:00:00Z',
    BOB,
    'EUR',
    'invoice',
    'invoice.finalized',
    [
      ['accounts_receivable', 700, 0],
      ['revenue_reset', 0, 700],
    ],
  ],
  // 20.00 credit granted (a downgrade), spent on the next subscription invoice.
  [
    'cbt_1',
    '2026-03-05T00:00:00Z',
    ALICE,
    'USD',
    'customer_balance_transaction',
    'balance.credited',
    [
      ['refunds', 2000, 0, 'subscription'],
      ['customer_credit', 0, 2000],
    ],
  ],
  [
    'inv_2',
    '2026-03-10T00:00:00Z',
    ALICE,
    'USD',
    'invoice',
    'invoice.finalized',
    [
      ['accounts_receivable', 2900, 0],
      ['revenue_subscription', 0, 2900],
    ],
  ],
  [
    'cbt_2',
    '2026-03-10T00:00:00Z',
    ALICE,
    'USD',
    'customer_balance_transaction',
    'balance.applied',
    [
      ['customer_credit', 2000, 0],
      ['accounts_receivable', 0, 2000],
    ],
  ],
  // 30.00 of the evaluation credited, then refunded to the card.
  [
    'cn_1',
    '2026-03-12T00:00:00Z',
    ALICE,
    'USD',
    'credit_note',
    'credit_note.issued',
    [
      ['refunds', 3000, 0, 'evaluation'],
      ['accounts_receivable', 0, 3000],
    ],
  ],
  [
    're_1',
    '2026-03-13T00:00:00Z',
    ALICE,
    'USD',
    'refund',
    'refund.settled',
    [
      ['accounts_receivable', 3000, 0],
      ['processor_clearing', 0, 3000],
    ],
  ],
  // After the period.
  [
    'inv_3',
    '2026-04-02T00:00:00Z',
    ALICE,
    'USD',
    'invoice',
    'invoice.finalized',
    [
      ['accounts_receivable', 5000, 0],
      ['revenue_evaluation', 0, 5000],
    ],
  ],
];

describe('ledger reports (entries posted by hand)', () => {
  let t: TestApp;
  let reports: LedgerReports;
  const entryIds = new Map<string, string>();

  beforeAll(async () => {
    t = await startTestApp();
    reports = t.app.get(LedgerReports);
    const journal = t.app.get(Journal);
    await t.dataSource.query(
      `INSERT INTO billing.customers (id, user_id, email, created_at) VALUES
         ($1, 'user_ledger_alice', 'alice@example.com', '2026-01-01'), ($2, 'user_ledger_bob', 'bob@example.com', '2026-01-01')`,
      [ALICE, BOB],
    );
    for (const [sourceId, at, customerId, currency, sourceType, event, lines] of ENTRIES) {
      const entry = await t.dataSource.transaction((manager: EntityManager) =>
        journal.post(manager, {
          sourceType,
          sourceId,
          event,
          occurredAt: new Date(at),
          customerId,
          lines: lines.map(([account, debit, credit, productKind]) => ({
            account,
            currency,
            debit,
            credit,
            productKind,
          })),
        }),
      );
      entryIds.set(sourceId, entry!.id);
    }
  });
  afterAll(() => t.close());

  const figures = (view: TrialBalanceView) =>
    view.rows.map((row) => [row.account, row.currency, row.debitBalance, row.creditBalance]);

  describe('trial balance', () => {
    it('at an instant counts only the entries that occurred before it, and balances per currency', async () => {
      const view = await reports.trialBalance(new Date('2026-03-11T00:00:00Z'));
      expect(view.at).toBe('2026-03-11T00:00:00.000Z');
      expect(figures(view)).toEqual([
        ['processor_clearing', 'USD', 10000, 0],
        ['accounts_receivable', 'EUR', 700, 0],
        ['accounts_receivable', 'USD', 900, 0],
        ['customer_credit', 'USD', 0, 0],
        ['revenue_evaluation', 'USD', 0, 11000],
        ['revenue_reset', 'EUR', 0, 700],
        ['revenue_subscription', 'USD', 0, 2900],
        ['discounts', 'USD', 1000, 0],
        ['refunds', 'USD', 2000, 0],
      ]);
      expect(view.totals).toEqual([
        { currency: 'EUR', debits: 700, credits: 700, debitBalance: 700, creditBalance: 700, balanced: true },
        {
          currency: 'USD',
          debits: 27900,
          credits: 27900,
          debitBalance: 13900,
          creditBalance: 13900,
          balanced: true,
        },
      ]);
      expect(view.balanced).toBe(true);
    });

    it('excludes an entry at exactly the instant and everything later', async () => {
      const before = await reports.trialBalance(new Date('2026-04-02T00:00:00Z'));
      const after = await reports.trialBalance(new Date('2026-04-02T00:00:00.001Z'));
      const receivable = (view: TrialBalanceView) =>
        view.rows.find((row) => row.account === 'accounts_receivable' && row.currency === 'USD')?.balance;
      expect(receivable(before)).toBe(900);
      expect(receivable(after)).toBe(5900);
      expect((await reports.trialBalance(new Date('2026-01-01T00:00:00Z'))).rows).toEqual([]);
    });
  });

  describe('account balances', () => {
    it('per currency, on the normal side, of every customer or of one', async () => {
      const all = await reports.accountBalance('accounts_receivable', new Date('2026-03-31T00:00:00Z'));
      expect(all).toMatchObject({ account: 'accounts_receivable', normalSide: 'debit', customerId: null });
      expect(all.balances).toEqual([
        { currency: 'EUR', debits: 700, credits: 0, balance: 700 },
        { currency: 'USD', debits: 15900, credits: 15000, balance: 900 },
      ]);
      const bob = await reports.accountBalance('accounts_receivable', new Date('2026-03-31T00:00:00Z'), {
        customerId: BOB,
      });
      expect(bob.balances).toEqual([{ currency: 'EUR', debits: 700, credits: 0, balance: 700 }]);
      const credit = await reports.accountBalance('customer_credit', new Date('2026-03-06T00:00:00Z'), {
        currency: 'USD',
      });
      expect(credit.balances).toEqual([{ currency: 'USD', debits: 0, credits: 2000, balance: 2000 }]);
    });

    it('refuses an account outside the chart', async () => {
      await expect(reports.accountBalance('petty_cash', new Date())).rejects.toMatchObject({ status: 404 });
    });
  });

  describe('customer statement', () => {
    const period = {
      customerId: ALICE,
      from: new Date('2026-03-01T10:00:01Z'),
      to: new Date('2026-04-01T00:00:00Z'),
    };
    const lines = (view: CustomerStatementView) =>
      view.data.map((line) => [line.sourceId, line.kind, line.debit, line.credit, line.balance]);

    it('opens with what was owed, runs the balance through every entry, and closes with the split', async () => {
      const view = await reports.customerStatement({ ...period, limit: 25 });
      expect(view.currencies).toEqual([
        {
          currency: 'USD',
          openingBalance: 10000,
          debits: 2900 + 2000 + 3000,
          credits: 10000 + 2000 + 2000 + 3000,
          closingBalance: 900,
          closingReceivable: 900,
          closingCredit: 0,
        },
      ]);
      expect(lines(view)).toEqual([
        ['chg_1', 'paid', 0, 10000, 0],
        ['cbt_1', 'credited', 0, 2000, -2000],
        ['inv_2', 'billed', 2900, 0, 900],
        ['cbt_2', 'credit_applied', 2000, 2000, 900],
        ['cn_1', 'credited', 0, 3000, -2100],
        ['re_1', 'refunded', 3000, 0, 900],
      ]);
      expect(view.data[3]).toMatchObject({
        receivable: -2000,
        customerCredit: -2000,
        event: 'balance.applied',
      });
      expect(view.data[1]).toMatchObject({ receivable: 0, customerCredit: 2000 });
      expect(view.nextCursor).toBeNull();
    });

    it('pages oldest first, and the running balance continues across pages', async () => {
      const first = await reports.customerStatement({ ...period, limit: 4 });
      expect(lines(first).map(([source]) => source)).toEqual(['chg_1', 'cbt_1', 'inv_2', 'cbt_2']);
      expect(first.nextCursor).toBe(entryIds.get('cbt_2'));
      const second = await reports.customerStatement({ ...period, limit: 4, cursor: first.nextCursor! });
      expect(lines(second)).toEqual([
        ['cn_1', 'credited', 0, 3000, -2100],
        ['re_1', 'refunded', 3000, 0, 900],
      ]);
      expect(second.nextCursor).toBeNull();
      expect(second.currencies).toEqual(first.currencies);
    });

    it("shows only the customer's own entries, and nothing for a period before any", async () => {
      const bob = await reports.customerStatement({ ...period, customerId: BOB, limit: 25 });
      expect(lines(bob)).toEqual([['inv_b', 'billed', 700, 0, 700]]);
      expect(bob.currencies.map((c) => [c.currency, c.openingBalance, c.closingBalance])).toEqual([
        ['EUR', 0, 700],
      ]);
      const empty = await reports.customerStatement({
        customerId: ALICE,
        from: new Date('2025-01-01'),
        to: new Date('2025-02-01'),
        limit: 25,
      });
      expect(empty).toMatchObject({ data: [], currencies: [], nextCursor: null });
    });

    it('refuses an unknown customer (404) and a cursor from elsewhere (400)', async () => {
      await expect(
        reports.customerStatement({ ...period, customerId: 'cust_01jledgerreportsnobody0000', limit: 5 }),
      ).rejects.toMatchObject({ status: 404 });
      await expect(
        reports.customerStatement({ ...period, customerId: BOB, limit: 5, cursor: entryIds.get('cbt_2') }),
      ).rejects.toMatchObject({ status: 400 });
    });
  });

  it('flags a currency whose lines do not balance (an entry slipped past the balance trigger)', async () => {
    await t.dataSource.transaction(async (manager) => {
      await manager.query(`ALTER TABLE billing.journal_lines DISABLE TRIGGER journal_lines_balanced`);
      await manager.query(`ALTER TABLE billing.journal_entries DISABLE TRIGGER journal_entries_have_lines`);
      await manager.query(
        `INSERT INTO billing.journal_entries (id, source_type, source_id, event, occurred_at) VALUES ('je_broken', 'journal_entry', 'broken', 'test.broken', '2026-05-01')`,
      );
      await manager.query(
        `INSERT INTO billing.journal_lines (entry_id, account, currency, debit, credit, occurred_at) VALUES ('je_broken', 'suspense', 'EUR', 5, 0, '2026-05-01')`,
      );
      await manager.query(`ALTER TABLE billing.journal_lines ENABLE TRIGGER journal_lines_balanced`);
      await manager.query(`ALTER TABLE billing.journal_entries ENABLE TRIGGER journal_entries_have_lines`);
    });
    const before = await reports.trialBalance(new Date('2026-05-01T00:00:00Z'));
    expect(before.balanced).toBe(true);
    const view = await reports.trialBalance(new Date('2026-06-01T00:00:00Z'));
    expect(view.totals.map((total) => [total.currency, total.debits, total.credits, total.balanced])).toEqual(
      [
        ['EUR', 705, 700, false],
        ['USD', 38900, 38900, true],
      ],
    );
    expect(view.balanced).toBe(false);
  });

  describe('revenue report from the journal', () => {
    const revenue = (from: string, to: string, groupBy: 'day' | 'month') =>
      t.app.get(RevenueReports).revenue({ from: new Date(from), to: new Date(to), groupBy });
    const figures = (rows: RevenueRow[]) =>
      rows.map((row) => [
        row.period,
        row.currency,
        row.productKind,
        row.charges,
        row.gross,
        row.discounts,
        row.refunds,
        row.disputes,
        row.net,
      ]);

    it('counts invoices whatever settled them, and credits and credit notes as refunds, per kind', async () => {
      const march = await revenue('2026-03-01', '2026-04-01', 'month');
      expect(figures(march.rows)).toEqual([
        ['2026-03-01', 'EUR', 'reset', 1, 700, 0, 0, 0, 700],
        // The card-paid evaluation, with its discount and the credit note of 30.00.
        ['2026-03-01', 'USD', 'evaluation', 1, 11000, 1000, 3000, 0, 7000],
        // Paid with customer credit (no charge at all), and the 20.00 credit granted.
        ['2026-03-01', 'USD', 'subscription', 1, 2900, 0, 2000, 0, 900],
      ]);
      expect(march.totals).toEqual([
        { currency: 'EUR', charges: 1, gross: 700, discounts: 0, refunds: 0, disputes: 0, net: 700 },
        { currency: 'USD', charges: 2, gross: 13900, discounts: 1000, refunds: 5000, disputes: 0, net: 7900 },
      ]);
    });

    it('takes a voided sale back, and reports a line without a product kind as unassigned', async () => {
      const journal = t.app.get(Journal);
      const sale = await t.dataSource.transaction((manager) =>
        journal.post(manager, {
          sourceType: 'invoice',
          sourceId: 'inv_void',
          event: 'invoice.finalized',
          occurredAt: new Date('2026-07-01T12:00:00Z'),
          customerId: BOB,
          lines: [
            { account: 'accounts_receivable', currency: 'GBP', debit: 5000 },
            { account: 'revenue_add_on', currency: 'GBP', credit: 5000, productKind: 'add_on' },
          ],
        }),
      );
      await t.dataSource.transaction((manager) =>
        journal.reverse(manager, sale!.id, {
          event: 'invoice.voided',
          occurredAt: new Date('2026-07-02T12:00:00Z'),
        }),
      );
      await t.dataSource.transaction((manager) =>
        journal.post(manager, {
          sourceType: 'dispute',
          sourceId: 'dsp_unknown',
          event: 'dispute.opened',
          occurredAt: new Date('2026-07-03T12:00:00Z'),
          customerId: BOB,
          lines: [
            { account: 'dispute_fees', currency: 'GBP', debit: 1500 },
            { account: 'processor_clearing', currency: 'GBP', credit: 1500 },
          ],
        }),
      );
      expect(figures((await revenue('2026-07-01', '2026-08-01', 'day')).rows)).toEqual([
        ['2026-07-01', 'GBP', 'add_on', 1, 5000, 0, 0, 0, 5000],
        ['2026-07-02', 'GBP', 'add_on', -1, -5000, 0, 0, 0, -5000],
        ['2026-07-03', 'GBP', 'unassigned', 0, 0, 0, 0, 1500, -1500],
      ]);
      expect(figures((await revenue('2026-07-01', '2026-08-01', 'month')).rows)).toEqual([
        ['2026-07-01', 'GBP', 'add_on', 0, 0, 0, 0, 0, 0],
        ['2026-07-01', 'GBP', 'unassigned', 0, 0, 0, 0, 1500, -1500],
      ]);
    });
  });
});
