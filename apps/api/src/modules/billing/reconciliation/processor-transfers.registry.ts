import { Injectable } from '@nestjs/common';

/** A trader payout whose money left through a processor transfer, as payouts reports it. */
export interface TraderPayoutTransfer {
  readonly payoutId: string;
  readonly transferId: string;
  /** Positive, minor units. */
  readonly amount: number;
  readonly currency: string;
}

/** What the payouts context answers reconciliation (read-only, set-based). */
export interface TraderPayoutTransferLookup {
  /** The payouts behind these transfer ids (one query). */
  byTransferIds(transferIds: readonly string[]): Promise<TraderPayoutTransfer[]>;
  /** Payouts paid through a transfer in [from, to). */
  paidBetween(from: Date, to: Date): Promise<TraderPayoutTransfer[]>;
}

/**
 * Transfers are the payouts context's, but reconciliation runs in billing: payouts registers its
 * lookup here at start (as with transfer events and the books check), so billing asks it without
 * importing payouts. Without one, transfers count as unexplained.
 */
@Injectable()
export class TraderPayoutTransfersRegistry {
  private lookup: TraderPayoutTransferLookup | null = null;

  register(lookup: TraderPayoutTransferLookup): void {
    this.lookup = lookup;
  }

  byTransferIds(transferIds: readonly string[]): Promise<TraderPayoutTransfer[]> {
    if (!this.lookup || transferIds.length === 0) return Promise.resolve([]);
    return this.lookup.byTransferIds(transferIds);
  }

  paidBetween(from: Date, to: Date): Promise<TraderPayoutTransfer[]> {
    return this.lookup ? this.lookup.paidBetween(from, to) : Promise.resolve([]);
  }
}
