// The multi-process check's verdict (multi-process.mjs), apart from the run so that it is unit-tested
// (test/multi-process-checks.test.mjs): each duplicate count must be zero, the expected work must have
// happened, billing runs must have run on both worker processes, and the books must be clean.

/** Counts that are zero when nothing was done twice; each names what a duplicate would be. */
export const DUPLICATE_CHECKS = [
  {
    name: 'charges sharing a payment intent',
    sql: `SELECT count(*) - count(DISTINCT stripe_payment_intent_id) FROM billing.charges WHERE stripe_payment_intent_id IS NOT NULL`,
  },
  {
    name: 'invoices sharing an idempotency key or a charge',
    sql: `SELECT (SELECT count(*) - count(DISTINCT idempotency_key) FROM billing.invoices WHERE idempotency_key IS NOT NULL)
               + (SELECT count(*) - count(DISTINCT charge_id) FROM billing.invoices WHERE charge_id IS NOT NULL)`,
  },
  {
    name: 'subscription periods invoiced twice',
    sql: `SELECT count(*) FROM (SELECT subscription_id, period_start FROM billing.invoices
            WHERE subscription_id IS NOT NULL AND billing_reason <> 'manual'
            GROUP BY 1, 2 HAVING count(*) > 1) twice`,
  },
  {
    name: 'accounts provisioned twice for one charge',
    sql: `SELECT count(*) - count(DISTINCT charge_id) FROM accounts.accounts WHERE charge_id IS NOT NULL`,
  },
  {
    name: 'outbound deliveries twice for one endpoint and event',
    sql: `SELECT count(*) FROM (SELECT endpoint_id, event_id FROM platform.webhook_deliveries GROUP BY 1, 2 HAVING count(*) > 1) twice`,
  },
];

/**
 * Findings (empty when every check holds) from what the run measured:
 * - duplicates: { [check name]: count } for every DUPLICATE_CHECKS entry (a missing one is a finding);
 * - charges, accounts (evaluation accounts), renewals (invoices of the billing run);
 * - received: Map of outbound event id → times the receiver got it;
 * - billingRunWorkers: the distinct worker processes that ran billing-run jobs, workers: how many run;
 * - books: the books check's JSON; expected: { purchases, subscriptions }.
 */
export function judge({
  duplicates,
  charges,
  accounts,
  renewals,
  received,
  billingRunWorkers,
  workers,
  books,
  expected,
}) {
  const findings = [];
  for (const { name } of DUPLICATE_CHECKS) {
    const value = duplicates[name];
    if (typeof value !== 'number' || !Number.isFinite(value)) findings.push(`${name}: not measured`);
    else if (value !== 0) findings.push(`${name}: ${value}`);
  }
  if (accounts !== expected.purchases)
    findings.push(`evaluation accounts: ${accounts}, expected ${expected.purchases}`);
  if (!(charges >= expected.purchases + expected.subscriptions))
    findings.push(`charges: ${charges}, expected at least ${expected.purchases + expected.subscriptions}`);
  if (renewals !== expected.subscriptions)
    findings.push(`renewal invoices: ${renewals}, expected ${expected.subscriptions}`);
  const twice = [...received.values()].filter((count) => count > 1).length;
  if (received.size === 0) findings.push('no outbound webhook received');
  if (twice > 0) findings.push(`${twice} outbound events received more than once`);
  if (billingRunWorkers.size < workers)
    findings.push(`billing runs ran on ${billingRunWorkers.size} of ${workers} worker processes`);
  if (!books?.clean) findings.push(`books check not clean: ${JSON.stringify(books?.findings ?? books)}`);
  return findings;
}
