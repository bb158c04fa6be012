import { Injectable, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { TraderPayoutTransfersRegistry, type TraderPayoutTransfer } from '../billing';

/**
 * What billing's reconciliation asks payouts (read-only, one query each): the payouts behind the
 * processor transfers of a page of balance transactions, and the payouts paid through a transfer in
 * a day (to find those the processor has no transfer for).
 */
@Injectable()
export class PayoutTransfersLookup implements OnModuleInit {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly registry: TraderPayoutTransfersRegistry,
  ) {}

  onModuleInit(): void {
    this.registry.register({
      byTransferIds: (ids) => this.query(`p.transfer_id = ANY($1::text[])`, [ids]),
      paidBetween: (from, to) =>
        this.query(`p.status = 'paid' AND p.transfer_id IS NOT NULL AND p.paid_at >= $1 AND p.paid_at < $2`, [
          from,
          to,
        ]),
    });
  }

  private async query(where: string, parameters: unknown[]): Promise<TraderPayoutTransfer[]> {
    const rows: Array<{ id: string; transfer_id: string; amount: string; currency: string }> =
      await this.dataSource.query(
        `SELECT p.id, p.transfer_id, p.amount::text, p.currency FROM payouts.payouts p WHERE ${where}`,
        parameters,
      );
    return rows.map((row) => ({
      payoutId: row.id,
      transferId: row.transfer_id,
      amount: Number(row.amount),
      currency: row.currency,
    }));
  }
}
