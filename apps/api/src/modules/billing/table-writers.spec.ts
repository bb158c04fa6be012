import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { getMetadataArgsStorage } from 'typeorm';
import { BILLING_ENTITIES } from './billing-entities';

/**
 * Inside billing a table has one writer folder; every other folder asks it. This test maps every
 * billing table to that folder and fails when code anywhere else under src (another billing folder,
 * another module, platform) writes it: ORM calls naming the entity (`manager.update(Invoice, …)`,
 * `getRepository(Invoice).save(…)`), query-builder writes (`.update(Invoice)`, `.insert().into(…)`,
 * `.delete().from(…)`) and raw SQL (`UPDATE / INSERT INTO / DELETE FROM billing.invoices`).
 */

const SRC = join(__dirname, '..', '..');
const BILLING = join(__dirname, sep);

/** Each billing table, by its entity, and the one folder of billing that writes it. */
const WRITERS: Record<string, { table: string; folder: string }> = {
  Product: { table: 'products', folder: 'catalog' },
  Price: { table: 'prices', folder: 'catalog' },
  Customer: { table: 'customers', folder: 'customers' },
  CustomerBalance: { table: 'customer_balances', folder: 'customers' },
  CustomerBalanceTransaction: { table: 'customer_balance_transactions', folder: 'customers' },
  CheckoutSession: { table: 'checkout_sessions', folder: 'checkout' },
  Charge: { table: 'charges', folder: 'payments' },
  Invoice: { table: 'invoices', folder: 'invoicing' },
  InvoiceLine: { table: 'invoice_lines', folder: 'invoicing' },
  CreditNote: { table: 'credit_notes', folder: 'invoicing' },
  DocumentNumberSeries: { table: 'document_number_series', folder: 'invoicing' },
  DunningCase: { table: 'dunning_cases', folder: 'collection' },
  Subscription: { table: 'subscriptions', folder: 'subscriptions' },
  BillingRun: { table: 'billing_runs', folder: 'subscriptions' },
  BillingRunFailure: { table: 'billing_run_failures', folder: 'subscriptions' },
  Refund: { table: 'refunds', folder: 'refunds' },
  Coupon: { table: 'coupons', folder: 'coupons' },
  CouponRedemption: { table: 'coupon_redemptions', folder: 'coupons' },
  CouponReservation: { table: 'coupon_reservations', folder: 'coupons' },
  FraudSignal: { table: 'fraud_signals', folder: 'fraud' },
  Dispute: { table: 'disputes', folder: 'fraud' },
  StripeWebhookEvent: { table: 'stripe_webhook_events', folder: 'stripe-webhooks' },
  Feature: { table: 'features', folder: 'metering' },
  PlanFeature: { table: 'plan_features', folder: 'metering' },
  CustomerEntitlement: { table: 'customer_entitlements', folder: 'metering' },
  EntitlementsVersion: { table: 'entitlements_version', folder: 'metering' },
  UsageEvent: { table: 'usage_events', folder: 'metering' },
  UsagePrice: { table: 'usage_prices', folder: 'metering' },
  UsagePeriod: { table: 'usage_periods', folder: 'metering' },
  UsageAlert: { table: 'usage_alerts', folder: 'metering' },
  UsageAlertFiring: { table: 'usage_alert_firings', folder: 'metering' },
  UsageAlertPending: { table: 'usage_alert_pending', folder: 'metering' },
  LedgerAccount: { table: 'ledger_accounts', folder: 'ledger' },
  JournalEntry: { table: 'journal_entries', folder: 'ledger' },
  JournalLine: { table: 'journal_lines', folder: 'ledger' },
  ReconciliationRun: { table: 'reconciliation_runs', folder: 'reconciliation' },
  ReconciliationItem: { table: 'reconciliation_items', folder: 'reconciliation' },
  ReconciliationException: { table: 'reconciliation_exceptions', folder: 'reconciliation' },
  ReconciliationPayout: { table: 'reconciliation_payouts', folder: 'reconciliation' },
  RecognitionPolicy: { table: 'recognition_policies', folder: 'ledger' },
  RevenueSchedule: { table: 'revenue_schedules', folder: 'ledger' },
  TaxRateRow: { table: 'tax_rates', folder: 'tax' },
  CustomerTaxProfile: { table: 'customer_tax_profiles', folder: 'tax' },
  FxRate: { table: 'fx_rates', folder: 'fx' },
  CreditNoteLine: { table: 'credit_note_lines', folder: 'invoicing' },
};

/**
 * The one exception, on an operator's command only: single-customer restore and GDPR erasure rewrite
 * a person's rows in every schema by the customer data map (audited, in one transaction). They are
 * data maintenance over whole rows, not business writes, like a backup restore.
 */
const DATA_MAINTENANCE_FOLDER = join('modules', 'admin', 'customer-data', sep);

/** Reference data the migrations write and nothing else may (the chart of accounts). */
const MIGRATION_ONLY = new Set(['LedgerAccount']);

const ENTITIES = Object.keys(WRITERS);
const TABLES = ENTITIES.map((entity) => WRITERS[entity].table);
const ENTITY_BY_TABLE = new Map(ENTITIES.map((entity) => [WRITERS[entity].table, entity]));

const ENTITY = `(${ENTITIES.join('|')})\\b`;
const ORM_VERB =
  '(?:update|insert|save|upsert|delete|remove|softDelete|softRemove|restore|increment|decrement)';

/** Ways code writes a table; each captures the entity class (group 1) or the table name (SQL). */
const PATTERNS: Record<string, RegExp> = {
  // manager.update(Invoice, …), manager.insert(Invoice, …), queryBuilder.update(Invoice)
  orm: new RegExp(`\\.${ORM_VERB}\\(\\s*${ENTITY}`, 'g'),
  // dataSource.getRepository(Invoice).save(…) / manager.getRepository(Invoice).update(…)
  repository: new RegExp(`getRepository\\(\\s*${ENTITY}\\s*\\)\\s*\\.\\s*${ORM_VERB}\\(`, 'g'),
  // createQueryBuilder().insert().into(Invoice) / .delete().from(Invoice)
  queryBuilder: new RegExp(
    `\\.(?:insert\\(\\)\\s*\\.\\s*into|delete\\(\\)\\s*\\.\\s*from)\\(\\s*${ENTITY}`,
    'g',
  ),
  // createQueryBuilder(Invoice, 'i').update() / .delete() / .insert()
  aliasedQueryBuilder: new RegExp(
    `createQueryBuilder\\(\\s*${ENTITY}[^;]*?\\.\\s*(?:update|delete|insert|softDelete)\\(\\s*\\)`,
    'g',
  ),
  // UPDATE billing.invoices / INSERT INTO billing.invoices / DELETE FROM "billing"."invoices" / …
  sql: new RegExp(
    `\\b(?:update|insert\\s+into|delete\\s+from|merge\\s+into|truncate(?:\\s+table)?)\\s+"?billing"?\\s*\\.\\s*"?(${TABLES.join('|')})\\b`,
    'gi',
  ),
};

interface Write {
  file: string;
  line: number;
  entity: string;
  how: string;
}

/** Every write to a billing table that the patterns find in a piece of source. */
function writesIn(file: string, source: string): Write[] {
  const found: Write[] = [];
  for (const [how, pattern] of Object.entries(PATTERNS)) {
    for (const match of source.matchAll(pattern)) {
      const named = match[1];
      const entity = how === 'sql' ? ENTITY_BY_TABLE.get(named.toLowerCase()) : named;
      if (!entity) continue;
      const line = source.slice(0, match.index).split('\n').length;
      found.push({ file, line, entity, how });
    }
  }
  return found;
}

/** Every TypeScript source file under src, specs and migrations aside (migrations create the tables). */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'migrations' ? [] : sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') ? [path] : [];
  });
}

/** The billing folder a file belongs to, or its path under src when it is outside billing's folders. */
function folderOf(path: string): string {
  if (!path.startsWith(BILLING)) return relative(SRC, path).split(sep).join('/');
  const [first, ...rest] = relative(BILLING, path).split(sep);
  return rest.length > 0 ? first : `(billing root) ${first}`;
}

const ALL_WRITES: Write[] = sourceFiles(SRC).flatMap((path) =>
  writesIn(path, readFileSync(path, 'utf8')).map((write) => ({ ...write, file: path })),
);

function where(write: Write): string {
  return `${relative(SRC, write.file).split(sep).join('/')}:${write.line} ${write.how}`;
}

describe('every billing table has one writer folder', () => {
  it('maps every billing entity, and only billing entities, to its table and writer folder', () => {
    const billingEntities: unknown[] = BILLING_ENTITIES;
    const tables = getMetadataArgsStorage().tables.filter((table) => billingEntities.includes(table.target));
    const mapped = Object.fromEntries(
      tables.map((table) => [
        (table.target as { name: string }).name,
        { schema: table.schema, table: table.name },
      ]),
    );
    expect(mapped).toEqual(
      Object.fromEntries(
        ENTITIES.map((entity) => [entity, { schema: 'billing', table: WRITERS[entity].table }]),
      ),
    );
    // The writer folder is the one that declares the entity.
    const declaredElsewhere = ENTITIES.filter((entity) => {
      const folder = join(BILLING, WRITERS[entity].folder);
      return !readdirSync(folder)
        .filter((name) => name.endsWith('.entity.ts'))
        .some((name) =>
          new RegExp(`export class ${entity}\\b`).test(readFileSync(join(folder, name), 'utf8')),
        );
    });
    expect(declaredElsewhere).toEqual([]);
  });

  it('recognises each way of writing, and not reads', () => {
    const writes = (source: string) =>
      writesIn('example.ts', source).map(({ entity, how }) => `${how}:${entity}`);
    expect(writes(`await manager.update(Customer, { id }, { fraudStatus });`)).toEqual(['orm:Customer']);
    expect(writes(`await manager.insert(DunningCase, { ...dunning });`)).toEqual(['orm:DunningCase']);
    expect(writes(`await manager.save(Charge, charge)`)).toEqual(['orm:Charge']);
    expect(writes(`await manager.upsert(UsagePrice, rows, ['id'])`)).toEqual(['orm:UsagePrice']);
    expect(writes(`await manager.delete(PlanFeature, { productId })`)).toEqual(['orm:PlanFeature']);
    expect(writes(`await manager.increment(Coupon, { id }, 'redeemed', 1)`)).toEqual(['orm:Coupon']);
    expect(writes(`manager\n  .createQueryBuilder()\n  .update(Subscription)\n  .set({ status })`)).toEqual([
      'orm:Subscription',
    ]);
    expect(writes(`await this.dataSource.getRepository(BillingRun).insert({ ...run });`)).toEqual([
      'repository:BillingRun',
    ]);
    expect(writes(`await manager.createQueryBuilder().insert().into(Refund).values(x).execute()`)).toEqual([
      'queryBuilder:Refund',
    ]);
    expect(writes(`qb.delete()\n  .from(UsageAlertPending)`)).toEqual(['queryBuilder:UsageAlertPending']);
    expect(writes(`manager.createQueryBuilder(Invoice, 'i')\n  .update()\n  .set({})`)).toEqual([
      'aliasedQueryBuilder:Invoice',
    ]);
    expect(writes('await manager.query(`UPDATE billing.charges SET status = $1`)')).toEqual(['sql:Charge']);
    expect(writes('`INSERT INTO billing.invoice_lines (id) VALUES ($1)`')).toEqual(['sql:InvoiceLine']);
    expect(writes('`delete from "billing"."usage_alert_pending" where id = $1`')).toEqual([
      'sql:UsageAlertPending',
    ]);
    // Reads are not writes; neither are other tables that share a prefix.
    expect(writes(`await manager.findOne(Customer, { where: { id } })`)).toEqual([]);
    expect(writes(`manager.create(DunningCase, {})`)).toEqual([]);
    expect(writes(`await this.dataSource.getRepository(Charge).findOne({ where: { id } })`)).toEqual([]);
    expect(writes(`manager.createQueryBuilder().select('c.id').from(Charge, 'c')`)).toEqual([]);
    expect(writes('`SELECT * FROM billing.invoices WHERE id = $1 FOR UPDATE`')).toEqual([]);
    expect(writes('`UPDATE billing.invoices_archive SET x = 1`')).toEqual([]);
    expect(writes(`await manager.update(CustomerProfile, { id }, {})`)).toEqual([]);
  });

  it('finds the real writers (the patterns are not blind)', () => {
    const writers = new Map<string, Set<string>>();
    for (const write of ALL_WRITES) {
      const folders = writers.get(write.entity) ?? new Set<string>();
      folders.add(folderOf(write.file));
      writers.set(write.entity, folders);
    }
    // Every table is written somewhere under src, by its own folder among others.
    const unwritten = ENTITIES.filter(
      (entity) => !MIGRATION_ONLY.has(entity) && !writers.get(entity)?.has(WRITERS[entity].folder),
    );
    expect(unwritten).toEqual([]);
    // And each kind of write is seen in the code as it is.
    const kinds = new Set(ALL_WRITES.map((write) => write.how));
    expect([...kinds].sort()).toEqual(['orm', 'queryBuilder', 'repository', 'sql']);
  });

  it('has no write to a billing table outside its writer folder', () => {
    const strays = ALL_WRITES.filter(
      (write) =>
        folderOf(write.file) !== WRITERS[write.entity].folder &&
        !relative(SRC, write.file).startsWith(DATA_MAINTENANCE_FOLDER),
    ).map((write) => `${where(write)} writes ${write.entity} (writer: ${WRITERS[write.entity].folder}/)`);
    expect(strays).toEqual([]);
  });
});
