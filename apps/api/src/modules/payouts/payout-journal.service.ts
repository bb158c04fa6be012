import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import {
  Journal,
  PAYOUT_RELEASED_EVENT,
  payoutPaidEntry,
  payoutReservedEntry,
  type PayoutPostingSource,
} from '../billing';

/**
 * Payouts' money movements in billing's journal, posted in the payouts transaction that changes the
 * payout (beside its entry in payouts' own ledger): reserved, paid, released. Each posts once; each
 * method returns how many entries it posted (0 when they were already there).
 */
@Injectable()
export class PayoutJournal {
  constructor(private readonly journal: Journal) {}

  /** `payout.reserved`: the trader's share is owed to them. */
  async reserved(manager: EntityManager, payout: PayoutPostingSource): Promise<number> {
    return (await this.journal.post(manager, payoutReservedEntry(payout))) ? 1 : 0;
  }

  /** `payout.paid`: what was owed left through the transfer (or by hand). */
  async paid(manager: EntityManager, payout: PayoutPostingSource, paidAt: Date): Promise<number> {
    // A payout reserved before the journal existed gets its reservation first, so payable nets out.
    const reserved = await this.reserved(manager, payout);
    return reserved + ((await this.journal.post(manager, payoutPaidEntry(payout, paidAt))) ? 1 : 0);
  }

  /** `payout.released`: rejected or canceled, the reversal of its reservation. */
  async released(
    manager: EntityManager,
    payout: PayoutPostingSource & { status: string },
    releasedAt: Date,
  ): Promise<number> {
    const posted = await this.reserved(manager, payout);
    const reservation = await this.journal.find(manager, {
      sourceType: 'trader_payout',
      sourceId: payout.id,
      event: 'payout.reserved',
    });
    if (!reservation) return posted;
    const reversal = await this.journal.reverse(manager, reservation.id, {
      event: PAYOUT_RELEASED_EVENT,
      occurredAt: releasedAt,
      memo: `payout ${payout.id} ${payout.status}: reservation released`,
    });
    return posted + (reversal ? 1 : 0);
  }
}
