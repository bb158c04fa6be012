import type { LedgerSourceRule } from './ledger-sources';

const REFUNDS = `SELECT r.id, c.customer_id, r.currency, r.amount, r.status, r.processed_at, r.reversed_at, r.created_at
  FROM billing.refunds r JOIN billing.charges c ON c.id = r.charge_id`;

/** Inquiries (Stripe withdrew nothing, charged no fee) have no entries. */
const DISPUTES = `SELECT d.id, c.customer_id, d.currency, d.amount, d.fee_amount, d.status, d.created_at, d.closed_at
  FROM billing.disputes d JOIN billing.charges c ON c.id = d.charge_id WHERE NOT d.inquiry`;

/**
 * Money going back: refunds and disputes (see ledger-sources.ts for the columns). A refund that
 * settled keeps its `refund.settled` even when Stripe failed it afterwards (`reversed_at`), which
 * then also has its `refund.reversed`. Trader payouts live in payouts' schema: payouts' books
 * contributor compares its ledger with the journal instead.
 */
export const MONEY_OUT_SOURCE_RULES: readonly LedgerSourceRule[] = [
  {
    sourceType: 'refund',
    event: 'refund.settled',
    describe: 'settled refund',
    rows: `SELECT id, customer_id, currency, amount, COALESCE(processed_at, created_at) AS at FROM (${REFUNDS}) r
            WHERE r.status = 'succeeded' OR r.reversed_at IS NOT NULL`,
  },
  {
    sourceType: 'refund',
    event: 'refund.reversed',
    describe: 'refund failed after it settled',
    rows: `SELECT id, customer_id, currency, amount, reversed_at AS at FROM (${REFUNDS}) r WHERE r.reversed_at IS NOT NULL`,
  },
  {
    sourceType: 'dispute',
    event: 'dispute.opened',
    describe: 'dispute',
    rows: `SELECT id, customer_id, currency, amount, created_at AS at FROM (${DISPUTES}) d
            WHERE d.amount > 0 OR d.fee_amount > 0`,
  },
  {
    sourceType: 'dispute',
    event: 'dispute.won',
    describe: 'dispute won',
    rows: `SELECT id, customer_id, currency, amount, COALESCE(closed_at, created_at) AS at FROM (${DISPUTES}) d
            WHERE d.status = 'won' AND d.amount > 0`,
  },
  {
    sourceType: 'dispute',
    event: 'dispute.lost',
    describe: 'dispute lost',
    rows: `SELECT id, customer_id, currency, amount, COALESCE(closed_at, created_at) AS at FROM (${DISPUTES}) d
            WHERE d.status = 'lost' AND d.amount > 0`,
  },
];
