import { EntityManager, In } from 'typeorm';
import { Dispute } from '../fraud/dispute.entity';
import { Charge } from '../payments/charge.entity';
import { Refund } from '../refunds/refund.entity';
import type { LedgerBackfillSource } from './ledger-backfill-sources';
import type { LedgerSourceRule } from './ledger-sources';
import { MONEY_OUT_SOURCE_RULES } from './money-out-sources';
import { disputeLostEntry, disputeOpenedEntry, disputeWonEntry } from './postings/dispute-postings';
import { REFUND_REVERSED_EVENT, refundReversedEntry, refundSettledEntry } from './postings/refund-postings';

function ruleOf(event: string): LedgerSourceRule {
  const rule = MONEY_OUT_SOURCE_RULES.find((candidate) => candidate.event === event);
  if (!rule) throw new Error(`no ledger source rule for ${event}`);
  return rule;
}

/** The rows of these ids with the customer of their charge (refunds and disputes name a charge). */
async function withCustomers<T extends { chargeId: string }>(
  manager: EntityManager,
  rows: readonly T[],
): Promise<Array<{ row: T; customerId: string | null }>> {
  const charges = await manager.find(Charge, {
    where: { id: In([...new Set(rows.map((row) => row.chargeId))]) },
    select: { id: true, customerId: true },
  });
  const customers = new Map(charges.map((charge) => [charge.id, charge.customerId]));
  return rows.map((row) => ({ row, customerId: customers.get(row.chargeId) ?? null }));
}

const refundsOf = async (manager: EntityManager, ids: readonly string[]) =>
  withCustomers(
    manager,
    await manager.find(Refund, { where: { id: In([...ids]) }, order: { createdAt: 'ASC', id: 'ASC' } }),
  );

const disputesOf = async (manager: EntityManager, ids: readonly string[]) =>
  withCustomers(
    manager,
    await manager.find(Dispute, { where: { id: In([...ids]) }, order: { createdAt: 'ASC', id: 'ASC' } }),
  );

/** Money going back, in posting order: a refund's settlement before its reversal, a dispute's opening before its close. */
export const MONEY_OUT_BACKFILL: readonly LedgerBackfillSource[] = [
  {
    rule: ruleOf('refund.settled'),
    async post(manager, ids, { journal }) {
      const refunds = await refundsOf(manager, ids);
      await journal.postMany(
        manager,
        refunds.map(({ row, customerId }) => refundSettledEntry(row, customerId)),
      );
    },
  },
  {
    rule: ruleOf(REFUND_REVERSED_EVENT),
    async post(manager, ids, { journal }) {
      for (const { row, customerId } of await refundsOf(manager, ids)) {
        const reversedAt = row.reversedAt ?? row.processedAt ?? row.createdAt;
        // As live: the reversal names the settlement it reverses (posted by the source above).
        const settled =
          (await journal.find(manager, {
            sourceType: 'refund',
            sourceId: row.id,
            event: 'refund.settled',
          })) ?? (await journal.post(manager, refundSettledEntry(row, customerId)));
        if (settled) {
          await journal.reverse(manager, settled.id, {
            event: REFUND_REVERSED_EVENT,
            occurredAt: reversedAt,
          });
        } else {
          await journal.post(manager, refundReversedEntry({ ...row, reversedAt }, customerId));
        }
      }
    },
  },
  ...(
    [
      ['dispute.opened', disputeOpenedEntry],
      ['dispute.won', disputeWonEntry],
      ['dispute.lost', disputeLostEntry],
    ] as const
  ).map(([event, build]): LedgerBackfillSource => ({
    rule: ruleOf(event),
    async post(manager, ids, { journal }) {
      const disputes = await disputesOf(manager, ids);
      await journal.postMany(
        manager,
        disputes.map(({ row, customerId }) => build(row, customerId)),
      );
    },
  })),
];
