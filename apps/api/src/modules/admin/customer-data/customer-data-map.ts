/**
 * Which rows of every table belong to one customer: the declared map behind `customer export`,
 * `customer restore` and `customer erase`. Every table of the app's schemas is listed, either with
 * the rule that finds a customer's rows or as not customer data, with the reason. A test
 * (test/integration/customer-data-map.spec.ts) fails when a table is missing, when a table with a
 * customer_id or user_id column is declared not customer data, or when a key is not the table's
 * primary key: a new table cannot be forgotten.
 *
 * Rules are SQL conditions over the table's own columns, with $1 the customer id (cust_…) and $2
 * the user id (the identity service's subject). Order matters: parents come before their children
 * (restore inserts in this order).
 */
export type OwnerRule =
  /** A column holding the customer id. */
  | { by: 'customer'; column: string }
  /** A column holding the user id. */
  | { by: 'user'; column: string }
  /** Rows whose column points at the customer's rows of another table. */
  | { by: 'parent'; column: string; parent: string; parentColumn: string }
  /** A condition of its own (the other rules cannot say it). */
  | { by: 'where'; sql: string }
  /** Not one customer's data: shared catalog, settings, or records of another party. */
  | { by: 'none'; reason: string };

export interface TableRule {
  /** schema.table */
  table: string;
  /** The primary key's columns, in order: rows are sorted by it and restored by it. */
  key: string[];
  /** The database refuses UPDATE and DELETE: restore only inserts missing rows. */
  appendOnly?: boolean;
  owner: OwnerRule;
}

const customer = (column = 'customer_id'): OwnerRule => ({ by: 'customer', column });
const user = (column = 'user_id'): OwnerRule => ({ by: 'user', column });
const parent = (column: string, table: string, parentColumn = 'id'): OwnerRule => ({
  by: 'parent',
  column,
  parent: table,
  parentColumn,
});
const none = (reason: string): OwnerRule => ({ by: 'none', reason });

export const CUSTOMER_DATA_MAP: readonly TableRule[] = [
  // billing: the customer first, then what hangs off it.
  { table: 'billing.customers', key: ['id'], owner: customer('id') },
  { table: 'billing.subscriptions', key: ['id'], owner: customer() },
  { table: 'billing.checkout_sessions', key: ['id'], owner: customer() },
  { table: 'billing.invoices', key: ['id'], owner: customer() },
  {
    table: 'billing.invoice_lines',
    key: ['invoice_id', 'position'],
    owner: parent('invoice_id', 'billing.invoices'),
  },
  { table: 'billing.charges', key: ['id'], owner: customer() },
  { table: 'billing.credit_notes', key: ['id'], owner: parent('invoice_id', 'billing.invoices') },
  {
    table: 'billing.credit_note_lines',
    key: ['credit_note_id', 'position'],
    owner: parent('credit_note_id', 'billing.credit_notes'),
  },
  { table: 'billing.refunds', key: ['id'], owner: parent('charge_id', 'billing.charges') },
  { table: 'billing.disputes', key: ['id'], owner: parent('charge_id', 'billing.charges') },
  { table: 'billing.coupon_reservations', key: ['id'], owner: customer() },
  { table: 'billing.coupon_redemptions', key: ['id'], owner: customer() },
  { table: 'billing.customer_balances', key: ['customer_id', 'currency'], owner: customer() },
  { table: 'billing.customer_balance_transactions', key: ['id'], appendOnly: true, owner: customer() },
  { table: 'billing.dunning_cases', key: ['invoice_id'], owner: customer() },
  {
    table: 'billing.billing_run_failures',
    key: ['run_id', 'subscription_id'],
    owner: parent('subscription_id', 'billing.subscriptions'),
  },
  { table: 'billing.customer_entitlements', key: ['id'], owner: customer() },
  { table: 'billing.usage_alerts', key: ['id'], owner: customer() },
  {
    table: 'billing.usage_alert_firings',
    key: ['alert_id', 'customer_id', 'period_start'],
    owner: customer(),
  },
  { table: 'billing.usage_alert_pending', key: ['customer_id', 'feature_id'], owner: customer() },
  // Partitioned by month: the key has the partition column; the claimed idempotency keys come first.
  {
    table: 'billing.usage_event_keys',
    key: ['customer_id', 'idempotency_key'],
    appendOnly: true,
    owner: customer(),
  },
  {
    table: 'billing.usage_events',
    key: ['customer_id', 'feature_id', 'occurred_at', 'idempotency_key'],
    appendOnly: true,
    owner: customer(),
  },
  { table: 'billing.usage_periods', key: ['id'], owner: customer() },
  {
    table: 'billing.fraud_signals',
    key: ['id'],
    owner: { by: 'where', sql: `customer_id = $1 OR user_id = $2` },
  },
  // A whole journal entry (every line) when any of it names the customer: entries balance.
  {
    table: 'billing.journal_entries',
    key: ['id'],
    appendOnly: true,
    owner: {
      by: 'where',
      sql: `customer_id = $1 OR id IN (SELECT entry_id FROM billing.journal_lines WHERE customer_id = $1)`,
    },
  },
  {
    table: 'billing.journal_lines',
    key: ['id'],
    appendOnly: true,
    owner: {
      by: 'where',
      sql: `entry_id IN (SELECT id FROM billing.journal_entries WHERE customer_id = $1
                         UNION SELECT entry_id FROM billing.journal_lines WHERE customer_id = $1)`,
    },
  },
  { table: 'billing.revenue_schedules', key: ['id'], owner: customer() },
  { table: 'billing.customer_tax_profiles', key: ['customer_id'], owner: customer() },
  { table: 'billing.products', key: ['id'], owner: none('catalog, shared by every customer') },
  { table: 'billing.prices', key: ['id'], owner: none('catalog, shared by every customer') },
  { table: 'billing.coupons', key: ['id'], owner: none('catalog, shared by every customer') },
  { table: 'billing.features', key: ['id'], owner: none('catalog, shared by every customer') },
  { table: 'billing.plan_features', key: ['product_id', 'feature_id'], owner: none('catalog') },
  {
    table: 'billing.usage_prices',
    key: ['feature_id', 'product_id', 'currency', 'effective_from'],
    owner: none('catalog'),
  },
  { table: 'billing.ledger_accounts', key: ['code'], owner: none('chart of accounts') },
  {
    table: 'billing.recognition_policies',
    key: ['product_kind'],
    owner: none('revenue recognition settings'),
  },
  { table: 'billing.tax_rates', key: ['id'], owner: none('tax rates, shared by every customer') },
  { table: 'billing.fx_rates', key: ['day', 'base', 'quote'], owner: none('exchange rates') },
  {
    table: 'billing.reconciliation_runs',
    key: ['id'],
    owner: none('reconciliation with the processor, per day'),
  },
  {
    table: 'billing.reconciliation_items',
    key: ['balance_transaction_id'],
    owner: none("the processor's balance transactions, matched per day"),
  },
  {
    table: 'billing.reconciliation_exceptions',
    key: ['id'],
    owner: none('reconciliation findings, per day'),
  },
  {
    table: 'billing.reconciliation_payouts',
    key: ['payout_id'],
    owner: none("the processor's payouts to our bank"),
  },
  { table: 'billing.document_number_series', key: ['series'], owner: none('numbering counters') },
  { table: 'billing.entitlements_version', key: ['id'], owner: none('cache version counter') },
  { table: 'billing.billing_runs', key: ['id'], owner: none('runs over every subscription') },
  {
    table: 'billing.stripe_webhook_events',
    key: ['id'],
    owner: none("Stripe's own events, keyed by Stripe id; Stripe can send them again"),
  },

  // accounts
  { table: 'accounts.accounts', key: ['id'], owner: user() },
  {
    table: 'accounts.account_status_history',
    key: ['id'],
    appendOnly: true,
    owner: parent('account_id', 'accounts.accounts'),
  },
  { table: 'accounts.resets', key: ['id'], owner: parent('account_id', 'accounts.accounts') },
  {
    table: 'accounts.trading_platform_events',
    key: ['event_id'],
    owner: parent('account_id', 'accounts.accounts'),
  },
  { table: 'accounts.user_holds', key: ['user_id'], owner: user() },

  // payouts
  { table: 'payouts.accounts', key: ['account_id'], owner: parent('account_id', 'accounts.accounts') },
  { table: 'payouts.destinations', key: ['user_id'], owner: user() },
  { table: 'payouts.kyc_statuses', key: ['user_id'], owner: user() },
  { table: 'payouts.payouts', key: ['id'], owner: user() },
  {
    table: 'payouts.ledger_entries',
    key: ['id'],
    appendOnly: true,
    owner: parent('account_id', 'accounts.accounts'),
  },
  {
    table: 'payouts.payout_tasks',
    key: ['id'],
    owner: {
      by: 'where',
      sql: `user_id = $2 OR account_id IN (SELECT id FROM accounts.accounts WHERE user_id = $2)`,
    },
  },
  { table: 'payouts.product_rules', key: ['product_id'], owner: none('catalog') },

  // platform: events and audit rows that name the customer.
  {
    table: 'platform.outbox_events',
    key: ['position'],
    owner: {
      by: 'where',
      sql: `envelope->'data'->>'customerId' = $1 OR envelope->'data'->>'userId' = $2 OR subject IN ($1, $2)`,
    },
  },
  {
    table: 'platform.inbox_entries',
    key: ['consumer', 'event_id'],
    owner: parent('event_id', 'platform.outbox_events', 'event_id'),
  },
  {
    table: 'platform.event_history',
    key: ['event_id'],
    owner: { by: 'where', sql: `customer_id = $1 OR user_id = $2` },
  },
  {
    table: 'platform.webhook_deliveries',
    key: ['id'],
    owner: parent('event_id', 'platform.event_history', 'event_id'),
  },
  {
    table: 'platform.webhook_delivery_attempts',
    key: ['id'],
    owner: parent('delivery_id', 'platform.webhook_deliveries'),
  },
  {
    table: 'platform.idempotency_records',
    key: ['caller_id', 'key'],
    owner: { by: 'where', sql: `caller_id = 'user:' || $2` },
  },
  { table: 'platform.api_keys', key: ['id'], owner: none("sibling services' keys") },
  { table: 'platform.webhook_endpoints', key: ['id'], owner: none("sibling services' endpoints") },
  { table: 'platform.sandbox_clock', key: ['id'], owner: none('the sandbox clock offset, one row') },
  // Last: it names rows of the tables above by id.
  { table: 'platform.audit_log', key: ['id'], appendOnly: true, owner: { by: 'where', sql: '' } },
];

const byTable = new Map(CUSTOMER_DATA_MAP.map((rule) => [rule.table, rule]));

export function ruleOf(table: string): TableRule {
  const rule = byTable.get(table);
  if (!rule) throw new Error(`${table} is not in the customer data map`);
  return rule;
}

/** The customer's tables (rules other than none), in restore order. */
export function customerTables(): TableRule[] {
  return CUSTOMER_DATA_MAP.filter((rule) => rule.owner.by !== 'none');
}

/** Audit rows by the user, about the customer or the user, or about any row of theirs with an `id`. */
function auditCondition(): string {
  const owned = customerTables()
    .filter((rule) => rule.table !== 'platform.audit_log' && rule.key.length === 1 && rule.key[0] === 'id')
    .map((rule) => `SELECT id::text FROM ${rule.table} WHERE ${ownerCondition(rule.table)}`);
  return `(actor_type = 'user' AND actor_id = $2) OR resource_id IN ($1, $2) OR resource_id IN (${owned.join(' UNION ALL ')})`;
}

/** The SQL condition selecting a customer's rows of a table ($1 customer id, $2 user id). */
export function ownerCondition(table: string): string {
  const rule = ruleOf(table);
  if (table === 'platform.audit_log') return auditCondition();
  const owner = rule.owner;
  switch (owner.by) {
    case 'customer':
      return `${owner.column} = $1`;
    case 'user':
      return `${owner.column} = $2`;
    case 'parent':
      return `${owner.column} IN (SELECT ${owner.parentColumn} FROM ${owner.parent} WHERE ${ownerCondition(owner.parent)})`;
    case 'where':
      return owner.sql;
    case 'none':
      throw new Error(`${table} holds no customer's rows: ${owner.reason}`);
  }
}
