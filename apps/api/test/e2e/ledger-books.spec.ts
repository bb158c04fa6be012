import type { EntityManager } from 'typeorm';
import { BooksCheck } from '../../src/modules/billing/books/books-check.service';
import type { BooksFinding } from '../../src/modules/billing/books/books-findings';
import { DunningDesk } from '../../src/modules/billing/collection/dunning-desk.service';
import { InvoiceStaffActions } from '../../src/modules/billing/invoicing/invoice-staff-actions.service';
import { Journal } from '../../src/modules/billing/ledger/journal.service';
import { LedgerBackfill } from '../../src/modules/billing/ledger/ledger-backfill.service';
import { LedgerChecks } from '../../src/modules/billing/ledger/ledger-checks.service';
import { BillingTestApp, productBySlug, purchase, startBillingTestApp } from '../support/billing';
import { checkBooks, expectBooksClean } from '../support/books';

const STAFF = { actor: { kind: 'system', name: 'test' }, requestId: null } as const;
const LEDGER_KINDS = ['ledger_unbalanced', 'money_row_without_entry', 'entry_without_source'];

/** Net balance per account of a customer's journal lines (debits − credits). */
async function balancesOf(t: BillingTestApp, customerId: string): Promise<Record<string, number>> {
  const rows: Array<{ account: string; net: string }> = await t.dataSource.query(
    `SELECT account, (sum(debit) - sum(credit))::text AS net FROM billing.journal_lines
      WHERE customer_id = $1 GROUP BY account HAVING sum(debit) <> sum(credit) ORDER BY account`,
    [customerId],
  );
  return Object.fromEntries(rows.map((row) => [row.account, Number(row.net)]));
}

/**
 * The journal is append-only: a test that doctors it works with the database's triggers off
 * (replica mode), the way only a superuser could, and puts things back the same way.
 */
function withoutTriggers<T>(t: BillingTestApp, work: (manager: EntityManager) => Promise<T>): Promise<T> {
  return t.dataSource.transaction(async (manager) => {
    await manager.query(`SET LOCAL session_replication_role = replica`);
    return work(manager);
  });
}

/** Removes an entry and any entry reversing it. */
const removeEntry = (t: BillingTestApp, entryId: string) =>
  withoutTriggers(t, async (manager) => {
    const ids = `SELECT id FROM billing.journal_entries WHERE id = $1 OR reverses_entry_id = $1`;
    await manager.query(`DELETE FROM billing.journal_lines WHERE entry_id IN (${ids})`, [entryId]);
    await manager.query(`DELETE FROM billing.journal_entries WHERE id IN (${ids})`, [entryId]);
  });

describe('ledger in the books check', () => {
  let t: BillingTestApp;
  let charge: { id: string; amount: number; invoiceId: string; customerId: string };

  const ledgerFindings = async (): Promise<BooksFinding[]> =>
    (await checkBooks(t.app)).findings.filter((finding) => LEDGER_KINDS.includes(finding.kind));

  beforeAll(async () => {
    t = await startBillingTestApp();
    const bought = await purchase(t, { sub: 'user_ledger', email: 'ledger@example.com' }, 'evaluation-25k');
    charge = {
      id: bought.charge.id as string,
      amount: Number(bought.charge.amount),
      invoiceId: bought.charge.invoice_id as string,
      customerId: bought.charge.customer_id as string,
    };
  });
  afterAll(() => t.close());

  it('posts a purchase, a credit note without refund and a goodwill credit as finance.md says, and is clean', async () => {
    await t.app
      .get(InvoiceStaffActions)
      .issueCreditNote(charge.invoiceId, 1000, 'settled by bank transfer', STAFF);
    await t.app
      .get(DunningDesk)
      .goodwillCredit(
        charge.customerId,
        { amount: 500, currency: 'USD', reason: 'sorry', reference: 'ledger-goodwill-1' },
        STAFF,
      );

    expect(await balancesOf(t, charge.customerId)).toEqual({
      // Sold, paid, then 10.00 credited outside the processor: we owe the customer 10.00.
      accounts_receivable: -1000,
      processor_clearing: charge.amount,
      // An evaluation is earned over its expected duration (recognition policy): nothing is earned
      // yet, so the credit note came off deferred revenue and only the goodwill is on refunds.
      deferred_revenue: -(charge.amount - 1000),
      refunds: 500,
      customer_credit: -500,
    });
    const events: Array<{ source_type: string; event: string }> = await t.dataSource.query(
      `SELECT source_type, event FROM billing.journal_entries WHERE customer_id = $1 ORDER BY source_type, event`,
      [charge.customerId],
    );
    expect(events).toEqual([
      { source_type: 'charge', event: 'charge.succeeded' },
      { source_type: 'credit_note', event: 'credit_note.issued' },
      { source_type: 'customer_balance_transaction', event: 'balance.credited' },
      { source_type: 'invoice', event: 'invoice.finalized' },
      { source_type: 'revenue_schedule', event: expect.stringMatching(/^credited\.cn_/) },
    ]);
    await expectBooksClean(t.app);
  });

  it('finds a charge row without its entry', async () => {
    await t.dataSource.query(
      `INSERT INTO billing.charges (id, customer_id, user_id, product_id, amount, currency, status, invoice_id, paid_at)
       VALUES ('chg_ledger_doctored', $1, 'user_ledger', 'prd_x', 4200, 'USD', 'succeeded', $2, now())`,
      [charge.customerId, charge.invoiceId],
    );
    try {
      expect(await ledgerFindings()).toEqual([
        {
          kind: 'money_row_without_entry',
          subject: 'chg_ledger_doctored',
          ids: ['chg_ledger_doctored', charge.customerId],
          amount: 4200,
          currency: 'USD',
          message: 'charge chg_ledger_doctored (USD 42.00) has no charge.succeeded journal entry',
        },
      ]);
    } finally {
      await t.dataSource.query(`DELETE FROM billing.charges WHERE id = 'chg_ledger_doctored'`);
    }
  });

  it('finds entries without their source: a row that does not exist, and one not in the state posted', async () => {
    const journal = t.app.get(Journal);
    const at = new Date();
    const [ghost, voided] = await t.dataSource.transaction(async (manager) => [
      await journal.post(manager, {
        sourceType: 'charge',
        sourceId: 'chg_ledger_ghost',
        event: 'charge.succeeded',
        occurredAt: at,
        customerId: charge.customerId,
        lines: [
          { account: 'processor_clearing', currency: 'USD', debit: 700 },
          { account: 'accounts_receivable', currency: 'USD', credit: 700 },
        ],
      }),
      // The purchase's receipt is paid, not void.
      await journal.post(manager, {
        sourceType: 'invoice',
        sourceId: charge.invoiceId,
        event: 'invoice.voided',
        occurredAt: at,
        customerId: charge.customerId,
        lines: [
          { account: 'revenue_evaluation', currency: 'USD', debit: 300 },
          { account: 'accounts_receivable', currency: 'USD', credit: 300 },
        ],
      }),
    ]);
    try {
      const findings = await ledgerFindings();
      expect(findings).toHaveLength(2);
      expect(findings).toEqual(
        expect.arrayContaining([
          {
            kind: 'entry_without_source',
            subject: ghost!.id,
            ids: [ghost!.id, 'chg_ledger_ghost'],
            amount: 700,
            currency: 'USD',
            message: `journal entry ${ghost!.id} posts charge.succeeded of charge chg_ledger_ghost (USD 7.00), but there is no charge chg_ledger_ghost`,
          },
          {
            kind: 'entry_without_source',
            subject: voided!.id,
            ids: [voided!.id, charge.invoiceId],
            amount: 300,
            currency: 'USD',
            message: `journal entry ${voided!.id} posts invoice.voided of invoice ${charge.invoiceId} (USD 3.00), but there is no voided invoice ${charge.invoiceId}`,
          },
        ]),
      );
      // A reversing entry cancels the ghost: it is no longer a finding.
      await t.dataSource.transaction((manager) =>
        journal.reverse(manager, ghost!.id, { event: 'charge.reversed_by_staff', occurredAt: at }),
      );
      expect((await ledgerFindings()).map((finding) => finding.subject)).toEqual([voided!.id]);
    } finally {
      await removeEntry(t, ghost!.id);
      await removeEntry(t, voided!.id);
    }
  });

  it('finds an entry that does not balance, and the ledger that no longer does', async () => {
    await withoutTriggers(t, async (manager) => {
      await manager.query(
        `INSERT INTO billing.journal_entries (id, source_type, source_id, event, occurred_at, customer_id)
         VALUES ('je_ledger_lopsided', 'charge', $1, 'charge.test_lopsided', now(), $2)`,
        [charge.id, charge.customerId],
      );
      await manager.query(
        `INSERT INTO billing.journal_lines (entry_id, account, currency, debit, credit, occurred_at)
         VALUES ('je_ledger_lopsided', 'processor_clearing', 'USD', 250, 0, now())`,
      );
    });
    try {
      const findings = await ledgerFindings();
      expect(findings).toEqual([
        {
          kind: 'ledger_unbalanced',
          subject: 'je_ledger_lopsided',
          ids: ['je_ledger_lopsided', charge.id],
          amount: 250,
          currency: 'USD',
          message: `journal entry je_ledger_lopsided (charge.test_lopsided of charge ${charge.id}) does not balance in USD: debits USD 2.50, credits USD 0.00`,
        },
        expect.objectContaining({
          kind: 'ledger_unbalanced',
          subject: 'ledger:USD',
          amount: 250,
          message: expect.stringContaining('the ledger does not balance in USD'),
        }),
      ]);
    } finally {
      await removeEntry(t, 'je_ledger_lopsided');
    }
  });

  it('is clean again once every doctored row is gone', async () => {
    await expectBooksClean(t.app);
  });
});

describe('ledger backfill', () => {
  let t: BillingTestApp;
  const customerId = 'cust_legacy';

  /** An invoice as a release before the ledger wrote it (no entry). */
  const insertInvoice = (
    id: string,
    values: {
      status: string;
      subtotal: number;
      discount: number;
      total: number;
      amountPaid?: number;
      amountDue?: number;
      creditApplied?: number;
      chargeId?: string;
      voidedAt?: string;
      markedUncollectibleAt?: string;
      issuedAt: string;
    },
  ) =>
    t.dataSource.query(
      `INSERT INTO billing.invoices (id, number, customer_id, user_id, charge_id, status, currency, subtotal, discount,
         tax, total, amount_paid, amount_due, credit_applied, seller, issued_at, paid_at, voided_at, marked_uncollectible_at)
       VALUES ($1, 'LEGACY-' || $1, $2, 'user_legacy', $3, $4, 'USD', $5, $6, 0, $7, $8, $9, $10, '{}'::jsonb, $11,
               CASE WHEN $4 = 'paid' THEN $11::timestamptz END, $12, $13)`,
      [
        id,
        customerId,
        values.chargeId ?? null,
        values.status,
        values.subtotal,
        values.discount,
        values.total,
        values.amountPaid ?? 0,
        values.amountDue ?? 0,
        values.creditApplied ?? 0,
        values.issuedAt,
        values.voidedAt ?? null,
        values.markedUncollectibleAt ?? null,
      ],
    );
  const insertLine = (
    invoiceId: string,
    kind: string,
    productId: string | null,
    amount: number,
    discount = 0,
  ) =>
    t.dataSource.query(
      `INSERT INTO billing.invoice_lines (invoice_id, position, description, product_id, quantity, unit_amount, amount, discount, tax, kind)
       VALUES ($1, 1, 'legacy', $2, 1, $3, $3, $4, 0, $5)`,
      [invoiceId, productId, amount, discount, kind],
    );
  const insertBalanceTransaction = (
    id: string,
    kind: string,
    amount: number,
    invoiceId: string | null,
    at: string,
  ) =>
    t.dataSource.query(
      `INSERT INTO billing.customer_balance_transactions (id, customer_id, currency, amount, balance_after, kind, reference,
         invoice_id, description, created_by, created_at)
       VALUES ($1, $2, 'USD', $3, 0, $4, $1, $5, 'legacy', 'legacy', $6)`,
      [id, customerId, amount, kind, invoiceId, at],
    );

  beforeAll(async () => {
    t = await startBillingTestApp();
    const evaluation = (await productBySlug(t, 'evaluation-25k')).id;
    // A discounted checkout receipt and its charge, later credited 15.00 by staff without a refund.
    await insertInvoice('inv_legacy_receipt', {
      status: 'paid',
      subtotal: 12000,
      discount: 2000,
      total: 10000,
      amountPaid: 10000,
      chargeId: 'chg_legacy',
      issuedAt: '2026-01-05T10:00:00Z',
    });
    await insertLine('inv_legacy_receipt', 'purchase', evaluation, 12000, 2000);
    await t.dataSource.query(
      `INSERT INTO billing.charges (id, customer_id, user_id, product_id, amount, currency, status, invoice_id, paid_at)
       VALUES ('chg_legacy', $1, 'user_legacy', $2, 10000, 'USD', 'succeeded', 'inv_legacy_receipt', '2026-01-05T10:00:00Z')`,
      [customerId, evaluation],
    );
    await t.dataSource.query(
      `INSERT INTO billing.credit_notes (id, number, invoice_id, amount, currency, reason, issued_at)
       VALUES ('cn_legacy', 'CN-LEGACY-1', 'inv_legacy_receipt', 1500, 'USD', 'legacy', '2026-01-06T10:00:00Z')`,
    );
    // Goodwill, spent on a renewal that was then voided (the credit came back).
    await insertBalanceTransaction(
      'cbt_legacy_goodwill',
      'goodwill_credit',
      500,
      null,
      '2026-01-07T10:00:00Z',
    );
    await insertInvoice('inv_legacy_voided', {
      status: 'void',
      subtotal: 3000,
      discount: 0,
      total: 3000,
      amountDue: 2500,
      creditApplied: 500,
      issuedAt: '2026-02-01T00:00:00Z',
      voidedAt: '2026-02-03T00:00:00Z',
    });
    await insertLine('inv_legacy_voided', 'plan', null, 3000);
    await insertBalanceTransaction(
      'cbt_legacy_applied',
      'applied_to_invoice',
      -500,
      'inv_legacy_voided',
      '2026-02-01T00:00:00Z',
    );
    await insertBalanceTransaction(
      'cbt_legacy_restored',
      'invoice_voided',
      500,
      'inv_legacy_voided',
      '2026-02-03T00:00:00Z',
    );
    // A renewal written off.
    await insertInvoice('inv_legacy_written_off', {
      status: 'uncollectible',
      subtotal: 2000,
      discount: 0,
      total: 2000,
      amountDue: 2000,
      issuedAt: '2026-03-01T00:00:00Z',
      markedUncollectibleAt: '2026-03-20T00:00:00Z',
    });
    await insertLine('inv_legacy_written_off', 'plan', null, 2000);
  });
  afterAll(() => t.close());

  it('finds every legacy row without its entry before the backfill', async () => {
    const findings = await t.app.get(LedgerChecks).findings();
    expect(
      findings.map((finding) => `${finding.subject} ${finding.message.split(' has no ')[1]}`).sort(),
    ).toEqual([
      'cbt_legacy_applied balance.applied journal entry',
      'cbt_legacy_goodwill balance.credited journal entry',
      'cbt_legacy_restored balance.restored journal entry',
      'chg_legacy charge.succeeded journal entry',
      'cn_legacy credit_note.issued journal entry',
      'inv_legacy_receipt invoice.finalized journal entry',
      'inv_legacy_voided invoice.finalized journal entry',
      'inv_legacy_voided invoice.voided journal entry',
      'inv_legacy_written_off invoice.finalized journal entry',
      'inv_legacy_written_off invoice.written_off journal entry',
    ]);
  });

  it('posts the entries the live paths post, oldest first in small batches, and the books are clean', async () => {
    const report = await t.app.get(LedgerBackfill).run({ batchSize: 1 });
    expect(report.posted).toBe(10);
    expect(report.bySource.filter((source) => source.posted > 0)).toEqual([
      { sourceType: 'invoice', event: 'invoice.finalized', rows: 3, posted: 3 },
      { sourceType: 'invoice', event: 'invoice.voided', rows: 1, posted: 1 },
      { sourceType: 'invoice', event: 'invoice.written_off', rows: 1, posted: 1 },
      { sourceType: 'charge', event: 'charge.succeeded', rows: 1, posted: 1 },
      { sourceType: 'credit_note', event: 'credit_note.issued', rows: 1, posted: 1 },
      { sourceType: 'customer_balance_transaction', event: 'balance.applied', rows: 1, posted: 1 },
      { sourceType: 'customer_balance_transaction', event: 'balance.restored', rows: 1, posted: 1 },
      { sourceType: 'customer_balance_transaction', event: 'balance.credited', rows: 1, posted: 1 },
    ]);
    // Each entry carries the business time of its row, not the time of the backfill.
    const [voided]: Array<{ occurred_at: Date; reverses_entry_id: string | null }> = await t.dataSource.query(
      `SELECT occurred_at, reverses_entry_id FROM billing.journal_entries
        WHERE source_id = 'inv_legacy_voided' AND event = 'invoice.voided'`,
    );
    expect(voided.occurred_at.toISOString()).toBe('2026-02-03T00:00:00.000Z');
    expect(voided.reverses_entry_id).not.toBeNull();

    expect(await balancesOf(t, customerId)).toEqual({
      accounts_receivable: -1500,
      processor_clearing: 10000,
      // The evaluation line is earned over time: its net (120.00 − 20.00) was deferred and the 15.00
      // credit note, before anything was recognized, came off deferred revenue (the recognition
      // run, not the backfill, earns the rest); the plan lines have no period and are earned at once.
      deferred_revenue: -8500,
      refunds: 500,
      customer_credit: -500,
      bad_debt: 2000,
      revenue_subscription: -2000,
    });
    const report2 = await t.app.get(BooksCheck).run({ processorSince: null });
    expect(report2.findings).toEqual([]);
  });

  it('posts nothing the second time', async () => {
    const again = await t.app.get(LedgerBackfill).run();
    expect(again.posted).toBe(0);
    expect(again.bySource.every((source) => source.rows === 0)).toBe(true);
  });
});
