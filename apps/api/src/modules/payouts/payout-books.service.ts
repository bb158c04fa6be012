import { Injectable, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { BooksCheckRegistry, type BooksFinding, ledgerTotalsOfSource } from '../billing';
import { payoutLedgerDisagreements, type PayoutLedgerTotals } from './payout-books-agreement';

/** A payout approved or processing this long, with no open task for finance, is stuck. */
export const PAYOUT_SETTLEMENT_BOUND_MS = 60 * 60 * 1000;

/**
 * Payouts' part of the books check: every payout is final (paid, failed, rejected, canceled), waiting
 * for a person (requested: the approval queue), recent, or has an open task for finance. Read-only.
 */
@Injectable()
export class PayoutBooks implements OnModuleInit {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly registry: BooksCheckRegistry,
  ) {}

  onModuleInit(): void {
    this.registry.register('payouts', (now) => this.findings(now));
  }

  async findings(now: Date): Promise<BooksFinding[]> {
    return [...(await this.stuck(now)), ...(await this.ledgerDisagreements())];
  }

  /**
   * Payouts' own ledger against the journal's trader payout accounts, read in one snapshot (both are
   * posted in the same transactions, so they agree at every commit).
   */
  async ledgerDisagreements(): Promise<BooksFinding[]> {
    const { ledger, journal } = await this.dataSource.transaction('REPEATABLE READ', async (manager) => {
      const rows: Array<{ currency: string; reserved: string; released: string; paid: string }> =
        await manager.query(
          `SELECT currency,
                  COALESCE(SUM(amount) FILTER (WHERE kind = 'reservation'), 0)::text AS reserved,
                  COALESCE(SUM(amount) FILTER (WHERE kind = 'release'), 0)::text AS released,
                  COALESCE(SUM(amount) FILTER (WHERE kind = 'payment'), 0)::text AS paid
             FROM payouts.ledger_entries GROUP BY currency`,
        );
      const own: PayoutLedgerTotals[] = rows.map((row) => ({
        currency: row.currency,
        reserved: Number(row.reserved),
        released: Number(row.released),
        paid: Number(row.paid),
      }));
      const booked = await ledgerTotalsOfSource(manager, 'trader_payout', [
        'trader_payouts_expense',
        'trader_payouts_payable',
        'trader_payouts_clearing',
      ]);
      return { ledger: own, journal: booked };
    });
    return payoutLedgerDisagreements(ledger, journal).map((gap) => ({
      kind: 'payout_ledger_disagrees',
      subject: `trader_payouts:${gap.currency}:${gap.figure}`,
      ids: [],
      amount: gap.difference,
      currency: gap.currency,
      message: `trader payouts ${gap.figure}: payouts' ledger says ${gap.payouts}, the journal ${gap.journal} ${gap.currency}`,
    }));
  }

  private async stuck(now: Date): Promise<BooksFinding[]> {
    const [{ has_tasks: hasTasks }]: Array<{ has_tasks: boolean }> = await this.dataSource.query(
      `SELECT to_regclass('payouts.payout_tasks') IS NOT NULL AS has_tasks`,
    );
    const rows: Array<{
      id: string;
      account_id: string;
      status: string;
      amount: string;
      currency: string;
      updated_at: Date;
    }> = await this.dataSource.query(
      `SELECT p.id, p.account_id, p.status, p.amount::text AS amount, p.currency, p.updated_at
           FROM payouts.payouts p
          WHERE p.status IN ('approved', 'processing') AND p.updated_at < $1
            ${hasTasks ? `AND NOT EXISTS (SELECT 1 FROM payouts.payout_tasks t WHERE t.payout_id = p.id AND t.status = 'open')` : ''}`,
      [new Date(now.getTime() - PAYOUT_SETTLEMENT_BOUND_MS)],
    );
    return rows.map((row) => ({
      kind: 'payout_stuck',
      subject: row.id,
      ids: [row.id, row.account_id],
      amount: Number(row.amount),
      currency: row.currency,
      message: `payout ${row.id} has been ${row.status} since ${row.updated_at.toISOString()} with no open task`,
    }));
  }
}
