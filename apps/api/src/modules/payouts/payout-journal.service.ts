import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import {
  Journal,
  PAYOUT_RELEASED_EVENT,
  payoutPaidEntry,
  payoutReservedEntry,
} from '../billing';
import type { Payout } from './payout.entity';

/**
 * Payouts' money movements in billing's journal, posted in the payouts transaction that changes the
 * payout (beside its entry in payouts' own ledger): reserved, paid, released. Each posts once.
 */
@Injectable()
export class PayoutJournal {
  constructor(private readonly journal: Journal) {}

  /** `payout.reserved`: the trader's share is owed to them. */
  async reserved(manager: EntityManager, payout: Payout): Promise<void> {
    await this.journal.post(manager, payoutReservedEntry(payout));
  }

  /** `payout.paid`: what was owed left through the transfer (or by hand). */
  async paid(manager: EntityManager, payout: Payout, paidAt: Date): Promise<void> {
    // A payout reserved before the journal existed gets its reservation first, so payable nets out.
    await this.journal.post(manager, payoutReservedEntry(payout));
    await this.journal.post(manager, payoutPaidEntry(payout, paidAt));
  }

  /** `payout.released`: rejected or canceled, the reversal of its reservation. */
  async released(manager: EntityManager, payout: Payout, releasedAt: Date): Promise<void> {
    await this.journal.post(manager, payoutReservedEntry(payout));
    const reserved = await this.journal.find(manager, {
      sourceType: 'trader_payout',
      sourceId: payout.id,
      event: 'payout.reserved',
    });
    if (!reserved) return;
    await this.journal.reverse(manager, reserved.id, {
      event: PAYOUT_RELEASED_EVENT,
      occurredAt: releasedAt,
      memo: `payout ${payout.id} ${payout.status}: reservation released`,
    });
  }
}
