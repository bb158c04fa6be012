import { Injectable, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { abs, toDecimalString } from '@astrix/pricing';
import { storedMoney } from '../money';
import { DataSource } from 'typeorm';
import { BooksCheckRegistry } from '../books/books-check.registry';
import type { BooksFinding } from '../books/books-findings';

/** How long a movement may sit in a clearing account after its day (or arrival) before it is a finding. */
export const SETTLEMENT_WINDOW_MS = 86_400_000;

const shown = (amount: number, currency: string): string =>
  `${toDecimalString(storedMoney(amount, currency))} ${currency}`;

/**
 * Reconciliation's part of the books check (read-only, set-based):
 * - `clearing_not_cleared`: `processor_clearing` — a charge, refund or dispute of a day reconciled
 *   (completed) and past the settlement window that no processor balance transaction cleared;
 *   `bank_in_transit` — a Stripe payout past its arrival date (and the window) whose arrival was
 *   never posted; `suspense` — a currency whose suspense account is not zero while no exception
 *   explains it (every exception resolved).
 * - `reconciliation_exception_open`: each exception not resolved yet.
 */
@Injectable()
export class ReconciliationBooks implements OnModuleInit {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly registry: BooksCheckRegistry,
  ) {}

  onModuleInit(): void {
    this.registry.register('reconciliation', (now) => this.findings(now));
  }

  async findings(now: Date): Promise<BooksFinding[]> {
    const before = new Date(now.getTime() - SETTLEMENT_WINDOW_MS);
    const rows: Array<{
      type: string;
      id: string;
      currency: string;
      amount: string;
      processor_id: string | null;
    }> = await this.dataSource.query(
      `WITH days AS (SELECT (day::date)::timestamptz AS from_at, (day::date + 1)::timestamptz AS to_at
                         FROM billing.reconciliation_runs WHERE status = 'completed')
         SELECT 'charge' AS type, c.id, c.currency, c.amount::text, COALESCE(c.stripe_charge_id, c.stripe_payment_intent_id) AS processor_id
           FROM billing.charges c JOIN days ON c.paid_at >= days.from_at AND c.paid_at < days.to_at
          WHERE c.paid_at < $1 AND (c.stripe_charge_id IS NOT NULL OR c.stripe_payment_intent_id IS NOT NULL)
            AND NOT EXISTS (SELECT 1 FROM billing.reconciliation_items i WHERE i.our_source_id = c.id)
         UNION ALL
         SELECT 'refund', r.id, r.currency, r.amount::text, r.stripe_refund_id
           FROM billing.refunds r JOIN days ON r.processed_at >= days.from_at AND r.processed_at < days.to_at
          WHERE r.processed_at < $1 AND r.stripe_refund_id IS NOT NULL AND r.status = 'succeeded'
            AND NOT EXISTS (SELECT 1 FROM billing.reconciliation_items i WHERE i.our_source_id = r.id)
         UNION ALL
         SELECT 'dispute', d.id, d.currency, d.amount::text, d.stripe_dispute_id
           FROM billing.disputes d JOIN days ON d.created_at >= days.from_at AND d.created_at < days.to_at
          WHERE d.created_at < $1 AND NOT d.inquiry
            AND NOT EXISTS (SELECT 1 FROM billing.reconciliation_items i WHERE i.our_source_id = d.id)
         UNION ALL
         SELECT 'payout', p.payout_id, p.currency, p.amount::text, p.payout_id
           FROM billing.reconciliation_payouts p
          WHERE p.arrival_date < $1 AND p.status NOT IN ('failed', 'canceled')
            AND NOT EXISTS (SELECT 1 FROM billing.journal_entries e
                             WHERE e.source_type = 'processor_payout' AND e.source_id = p.payout_id AND e.event = 'bank_payout.paid')
         UNION ALL
         SELECT 'suspense', 'suspense:' || l.currency, l.currency, (sum(l.debit) - sum(l.credit))::text, NULL
           FROM billing.journal_lines l
          WHERE l.account = 'suspense'
            AND NOT EXISTS (SELECT 1 FROM billing.reconciliation_exceptions x WHERE x.status = 'open')
          GROUP BY l.currency HAVING sum(l.debit) <> sum(l.credit)`,
      [before],
    );
    const exceptions: Array<{
      id: string;
      kind: string;
      subject: string;
      currency: string;
      amount: string | null;
      message: string;
      day: string;
    }> = await this.dataSource.query(
      `SELECT id, kind, subject, currency, COALESCE(processor_amount, our_amount)::text AS amount, message, day
           FROM billing.reconciliation_exceptions WHERE status = 'open' ORDER BY id`,
    );
    return [
      ...rows.map((row): BooksFinding => {
        const amount = Number(row.amount);
        const account =
          row.type === 'payout'
            ? 'bank_in_transit'
            : row.type === 'suspense'
              ? 'suspense'
              : 'processor_clearing';
        return {
          kind: 'clearing_not_cleared',
          subject: row.id,
          ids: [row.id, ...(row.processor_id && row.processor_id !== row.id ? [row.processor_id] : [])],
          amount: abs(storedMoney(amount, row.currency)).amountMinor,
          currency: row.currency,
          message:
            row.type === 'payout'
              ? `Stripe payout ${row.id} of ${shown(amount, row.currency)} is past its arrival date and still in bank_in_transit`
              : row.type === 'suspense'
                ? `suspense holds ${shown(amount, row.currency)} that no open reconciliation exception explains`
                : `${row.type} ${row.id} of ${shown(amount, row.currency)} is still in ${account}: no Stripe balance transaction cleared it, and its day was reconciled`,
        };
      }),
      ...exceptions.map((row): BooksFinding => ({
        kind: 'reconciliation_exception_open',
        subject: row.id,
        ids: [row.id, row.subject],
        amount: abs(storedMoney(row.amount ?? '0', row.currency)).amountMinor,
        currency: row.currency,
        message: `reconciliation of ${row.day}: ${row.kind} — ${row.message}`,
      })),
    ];
  }
}
