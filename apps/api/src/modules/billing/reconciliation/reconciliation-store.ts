import type { ProcessorBalanceTransaction } from '@astrix/stripe-client';
import type { EntityManager } from 'typeorm';
import { newId } from '../../../platform/ids';
import type { ExceptionDraft, OurRow } from './reconciliation-matching';
import type { ReconciliationCounts, ReconciliationOutcome } from './reconciliation.entity';

/**
 * The set-based SQL of reconciliation: one lookup per page, batch inserts. Only the
 * reconciliation folder writes its tables (billing.reconciliation_*).
 */

/** Our charges, refunds and disputes behind a page's processor ids, in one statement. */
export async function findOurRows(
  manager: EntityManager,
  keys: { charges: string[]; paymentIntents: string[]; refunds: string[]; disputes: string[] },
): Promise<{ charges: Map<string, OurRow>; refunds: Map<string, OurRow>; disputes: Map<string, OurRow> }> {
  const rows: Array<{
    kind: string;
    key: string;
    alt: string | null;
    id: string;
    amount: string;
    currency: string;
    fee: string;
    booked_at: Date | null;
  }> = await manager.query(
    `SELECT 'charge' AS kind, c.stripe_charge_id AS key, c.stripe_payment_intent_id AS alt, c.id, c.amount::text, c.currency, '0' AS fee, c.paid_at AS booked_at
         FROM billing.charges c WHERE c.stripe_charge_id = ANY($1::text[])
       UNION ALL
       -- A charge we know by its payment intent only (each branch uses its own unique index).
       SELECT 'charge', c.stripe_charge_id, c.stripe_payment_intent_id, c.id, c.amount::text, c.currency, '0', c.paid_at
         FROM billing.charges c
        WHERE c.stripe_payment_intent_id = ANY($2::text[]) AND c.stripe_charge_id IS NULL
       UNION ALL
       SELECT 'refund', r.stripe_refund_id, NULL, r.id, r.amount::text, r.currency, '0', r.processed_at
         FROM billing.refunds r WHERE r.stripe_refund_id = ANY($3::text[])
       UNION ALL
       SELECT 'dispute', d.stripe_dispute_id, NULL, d.id, d.amount::text, d.currency, d.fee_amount::text, d.created_at
         FROM billing.disputes d WHERE d.stripe_dispute_id = ANY($4::text[])`,
    [keys.charges, keys.paymentIntents, keys.refunds, keys.disputes],
  );
  const charges = new Map<string, OurRow>();
  const refunds = new Map<string, OurRow>();
  const disputes = new Map<string, OurRow>();
  for (const row of rows) {
    const type = row.kind === 'charge' ? 'charge' : row.kind === 'refund' ? 'refund' : 'dispute';
    const ours: OurRow = {
      type,
      id: row.id,
      amount: Number(row.amount),
      currency: row.currency,
      feeBooked: Number(row.fee),
      bookedAt: row.booked_at,
    };
    if (type === 'charge') {
      if (row.key) charges.set(row.key, ours);
      if (row.alt) charges.set(`pi:${row.alt}`, ours);
    } else (type === 'refund' ? refunds : disputes).set(row.key, ours);
  }
  return { charges, refunds, disputes };
}

export interface ItemRow {
  readonly txn: ProcessorBalanceTransaction;
  readonly outcome: ReconciliationOutcome;
  readonly ourSourceType: string | null;
  readonly ourSourceId: string | null;
  readonly ourAmount: number | null;
}

/**
 * Inserts the page's items and moves the run's cursor past the page, in one statement; returns the
 * ids inserted now (an item reconciled before is kept as it was). The page's transaction does not
 * wait for the disk at commit: lost with a database crash, the page is walked again from the
 * previous cursor and posts the same.
 */
export async function insertItems(
  manager: EntityManager,
  runId: string,
  items: readonly ItemRow[],
  advance: { cursor: string; pages: number; at: Date },
): Promise<Set<string>> {
  const of = <T>(pick: (item: ItemRow) => T): T[] => items.map(pick);
  const inserted: Array<{ balance_transaction_id: string }> = await manager.query(
    `WITH settings AS (SELECT set_config('synchronous_commit', 'off', true) AS value),
          advanced AS (UPDATE billing.reconciliation_runs SET cursor = $15, pages = $16, heartbeat_at = $17
                        WHERE id = $1 RETURNING id),
          inserted AS (
            INSERT INTO billing.reconciliation_items
              (balance_transaction_id, run_id, type, source_id, our_source_type, our_source_id, outcome, currency,
               amount, fee, net, our_amount, available_on, created_at)
            SELECT id, $1, type, source_id, our_source_type, our_source_id, outcome, currency, amount, fee, net,
                   our_amount, available_on, created_at
              FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
                          $9::bigint[], $10::bigint[], $11::bigint[], $12::bigint[], $13::timestamptz[],
                          $14::timestamptz[])
                AS i(id, type, source_id, our_source_type, our_source_id, outcome, currency, amount, fee, net,
                     our_amount, available_on, created_at)
            ON CONFLICT (balance_transaction_id) DO NOTHING
            RETURNING balance_transaction_id)
     SELECT inserted.balance_transaction_id FROM inserted, settings, advanced`,
    [
      runId,
      of((item) => item.txn.id),
      of((item) => item.txn.type),
      of((item) => item.txn.sourceId),
      of((item) => item.ourSourceType),
      of((item) => item.ourSourceId),
      of((item) => item.outcome),
      of((item) => item.txn.currency),
      of((item) => item.txn.amountMinor),
      of((item) => item.txn.feeMinor),
      of((item) => item.txn.netMinor),
      of((item) => item.ourAmount),
      of((item) => item.txn.availableOn),
      of((item) => item.txn.createdAt),
      advance.cursor,
      advance.pages,
      advance.at,
    ],
  );
  return new Set(inserted.map((row) => row.balance_transaction_id));
}

/** Raises exceptions (open finance tasks) once per (run, kind, subject); returns how many are new. */
export async function insertExceptions(
  manager: EntityManager,
  run: { id: string; day: string },
  drafts: readonly ExceptionDraft[],
  now: Date,
): Promise<number> {
  if (drafts.length === 0) return 0;
  const of = <T>(pick: (draft: ExceptionDraft) => T): T[] => drafts.map(pick);
  const inserted: unknown[] = await manager.query(
    `INSERT INTO billing.reconciliation_exceptions
       (id, run_id, day, kind, subject, balance_transaction_id, our_source_type, our_source_id, currency,
        processor_amount, our_amount, message, status, created_at)
     SELECT id, $1, $2, kind, subject, txn, our_type, our_id, currency, processor_amount, our_amount, message, 'open', $3
       FROM unnest($4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::bigint[],
                   $12::bigint[], $13::text[])
         AS e(id, kind, subject, txn, our_type, our_id, currency, processor_amount, our_amount, message)
     ON CONFLICT (run_id, kind, subject) DO NOTHING
     RETURNING id`,
    [
      run.id,
      run.day,
      now,
      of(() => newId('rex')),
      of((draft) => draft.kind),
      of((draft) => draft.subject),
      of((draft) => draft.balanceTransactionId),
      of((draft) => draft.ourSourceType),
      of((draft) => draft.ourSourceId),
      of((draft) => draft.currency),
      of((draft) => draft.processorAmount),
      of((draft) => draft.ourAmount),
      of((draft) => draft.message),
    ],
  );
  return inserted.length;
}

/** Our rows of [from, to) the processor has no balance transaction for (none reconciled on any day). */
export async function rowsWithoutMovement(
  manager: EntityManager,
  from: Date,
  to: Date,
): Promise<
  Array<{
    type: 'charge' | 'refund' | 'dispute';
    id: string;
    amount: number;
    currency: string;
    processorId: string | null;
  }>
> {
  const rows: Array<{
    type: 'charge' | 'refund' | 'dispute';
    id: string;
    amount: string;
    currency: string;
    processor_id: string | null;
  }> = await manager.query(
    `SELECT 'charge' AS type, c.id, c.amount::text, c.currency, COALESCE(c.stripe_charge_id, c.stripe_payment_intent_id) AS processor_id
         FROM billing.charges c
        WHERE c.paid_at >= $1 AND c.paid_at < $2
          AND (c.stripe_charge_id IS NOT NULL OR c.stripe_payment_intent_id IS NOT NULL)
          AND NOT EXISTS (SELECT 1 FROM billing.reconciliation_items i WHERE i.our_source_id = c.id)
       UNION ALL
       SELECT 'refund', r.id, r.amount::text, r.currency, r.stripe_refund_id
         FROM billing.refunds r
        WHERE r.processed_at >= $1 AND r.processed_at < $2 AND r.stripe_refund_id IS NOT NULL
          AND (r.status = 'succeeded' OR r.reversed_at IS NOT NULL)
          AND NOT EXISTS (SELECT 1 FROM billing.reconciliation_items i WHERE i.our_source_id = r.id)
       UNION ALL
       SELECT 'dispute', d.id, d.amount::text, d.currency, d.stripe_dispute_id
         FROM billing.disputes d
        WHERE d.created_at >= $1 AND d.created_at < $2 AND NOT d.inquiry
          AND NOT EXISTS (SELECT 1 FROM billing.reconciliation_items i WHERE i.our_source_id = d.id)`,
    [from, to],
  );
  return rows.map((row) => ({
    type: row.type,
    id: row.id,
    amount: Number(row.amount),
    currency: row.currency,
    processorId: row.processor_id,
  }));
}

/** Which of these ids of ours have a reconciled movement. */
export async function reconciledSources(
  manager: EntityManager,
  ids: readonly string[],
): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows: Array<{ our_source_id: string }> = await manager.query(
    `SELECT DISTINCT our_source_id FROM billing.reconciliation_items WHERE our_source_id = ANY($1::text[])`,
    [ids],
  );
  return new Set(rows.map((row) => row.our_source_id));
}

/** The run's counts, from its items, exceptions and payouts. */
export async function countsOf(manager: EntityManager, runId: string): Promise<ReconciliationCounts> {
  const items: Array<{ outcome: ReconciliationOutcome; n: string }> = await manager.query(
    `SELECT outcome, count(*)::text AS n FROM billing.reconciliation_items WHERE run_id = $1 GROUP BY outcome`,
    [runId],
  );
  const exceptions: Array<{ kind: string; n: string }> = await manager.query(
    `SELECT kind, count(*)::text AS n FROM billing.reconciliation_exceptions WHERE run_id = $1 GROUP BY kind`,
    [runId],
  );
  const payouts: Array<{ n: string }> = await manager.query(
    `SELECT count(*)::text AS n FROM billing.reconciliation_payouts WHERE run_id = $1`,
    [runId],
  );
  const item = (outcome: ReconciliationOutcome) =>
    Number(items.find((row) => row.outcome === outcome)?.n ?? 0);
  const exception = (kind: string) => Number(exceptions.find((row) => row.kind === kind)?.n ?? 0);
  return {
    balanceTransactions: items.reduce((total, row) => total + Number(row.n), 0),
    matched: item('matched'),
    unmatchedInStripe: exception('unmatched_in_stripe'),
    unmatchedInBooks: item('unmatched_in_books'),
    amountMismatch: item('amount_mismatch'),
    feeMismatch: exception('fee_mismatch'),
    payouts: Number(payouts[0]?.n ?? 0),
    payoutMismatch: exception('payout_mismatch'),
  };
}
