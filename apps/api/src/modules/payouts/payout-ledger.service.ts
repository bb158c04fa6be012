import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Clock } from '../../platform/clock';
import { newId } from '../../platform/ids';
import { PayoutLedgerAccount, PayoutLedgerEntry, PayoutLedgerKind } from './payout-ledger-entry.entity';
import type { Payout } from './payout.entity';

/** Which ledger accounts each kind of movement debits and credits. */
const SIDES: { readonly [K in PayoutLedgerKind]: [debit: PayoutLedgerAccount, credit: PayoutLedgerAccount] } =
  {
    reservation: ['reserved', 'trader_share'],
    release: ['trader_share', 'reserved'],
    payment: ['paid_out', 'reserved'],
    fee_refund: ['fee_refunded', 'evaluation_fee'],
  };

/** The payouts ledger: appends balanced entries and derives totals from them. */
@Injectable()
export class PayoutLedger {
  constructor(private readonly clock: Clock) {}

  async append(
    manager: EntityManager,
    payout: Payout,
    kind: PayoutLedgerKind,
    amount: number,
    reference: string | null = null,
  ): Promise<void> {
    const [debitAccount, creditAccount] = SIDES[kind];
    await manager.insert(PayoutLedgerEntry, {
      id: newId('ple'),
      accountId: payout.accountId,
      payoutId: payout.id,
      kind,
      debitAccount,
      creditAccount,
      amount,
      currency: payout.currency,
      reference,
      createdAt: this.clock.now(),
    });
  }

  /** Paid to the trader on an account (fee refunds excluded), from payment entries. */
  async paidOutTotal(manager: EntityManager, accountId: string): Promise<number> {
    const [row] = (await manager.query(
      `SELECT COALESCE(SUM(amount), 0)::bigint AS total FROM payouts.ledger_entries WHERE account_id = $1 AND kind = 'payment'`,
      [accountId],
    )) as { total: string }[];
    return Number(row.total);
  }

  hasFeeRefund(manager: EntityManager, accountId: string): Promise<boolean> {
    return manager.exists(PayoutLedgerEntry, { where: { accountId, kind: 'fee_refund' } });
  }
}
