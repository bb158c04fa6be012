import { escapeIdentifier, escapeLiteral } from 'pg';

/** The schemas the application reads and writes. */
export const APP_SCHEMAS = ['platform', 'billing', 'accounts', 'payouts'] as const;

/**
 * Tables the application may read and append to but never change: UPDATE, DELETE and TRUNCATE are
 * revoked from the app role (and triggers refuse them for every role, the owner included). Add a
 * table here when it joins the books; a table that does not exist yet is skipped until it does.
 */
export const APPEND_ONLY_TABLES = [
  'platform.audit_log',
  'accounts.account_status_history',
  'billing.customer_balance_transactions',
  'billing.usage_events',
  'billing.usage_event_keys',
  'billing.journal_entries',
  'billing.journal_lines',
  'payouts.ledger_entries',
] as const;

/**
 * Financial records kept for seven years (seed 002): the application changes their status but never
 * deletes them. DELETE and TRUNCATE are revoked from the app role; invoices and their lines also
 * have triggers refusing DELETE for every role (migration RetainFinancialRecords1795600000000).
 * The append-only tables above are retained too. A test scans the source for deletes of both lists.
 */
export const RETAINED_TABLES = [
  'billing.invoices',
  'billing.invoice_lines',
  'billing.credit_notes',
  'billing.charges',
  'billing.refunds',
  'billing.disputes',
  'payouts.payouts',
] as const;

/** The role the API connects as, when it is not the role that runs migrations (and owns the tables). */
export interface AppRole {
  name: string;
  /** From DATABASE_URL: a role created by the migration step logs in with it. */
  password: string | null;
}

const ROLE_NAME = /^[A-Za-z_][A-Za-z0-9_$-]{0,62}$/;

function userOf(url: URL): string {
  return decodeURIComponent(url.username);
}

/**
 * The app role of a two-role setup: DATABASE_URL's user when DATABASE_MIGRATION_URL names another
 * user of the same database; null when both are one role (then only the triggers protect).
 */
export function appRoleOf(databaseUrl: string, migrationUrl: string): AppRole | null {
  const app = new URL(databaseUrl);
  const owner = new URL(migrationUrl);
  if (userOf(app) === userOf(owner)) return null;
  if (app.pathname !== owner.pathname || app.host !== owner.host) {
    throw new Error('DATABASE_URL and DATABASE_MIGRATION_URL must name the same database');
  }
  const name = userOf(app);
  if (!ROLE_NAME.test(name)) throw new Error(`DATABASE_URL names an unusable role: "${name}"`);
  return { name, password: app.password ? decodeURIComponent(app.password) : null };
}

/** Runs one statement; TypeORM's EntityManager and DataSource fit (rows come back as an array). */
export interface Queryable {
  query(sql: string, parameters?: unknown[]): Promise<unknown>;
}

/**
 * As the owner (the migration role), after the migrations: creates the app role if it is missing,
 * gives it the app's normal grants on every table and sequence, now and (default privileges) on the
 * tables later migrations create, and revokes UPDATE, DELETE and TRUNCATE on APPEND_ONLY_TABLES.
 * Idempotent; run it inside one transaction so the re-grant and the revoke land together.
 */
export async function grantAppRole(db: Queryable, role: AppRole): Promise<string[]> {
  const app = escapeIdentifier(role.name);
  const [{ owner, database }] = (await db.query(
    'SELECT current_user AS owner, current_database() AS database',
  )) as Array<{ owner: string; database: string }>;
  const existing = (await db.query('SELECT rolsuper FROM pg_roles WHERE rolname = $1', [
    role.name,
  ])) as Array<{
    rolsuper: boolean;
  }>;
  if (existing.length === 0) {
    await db.query(
      `CREATE ROLE ${app} LOGIN${role.password === null ? '' : ` PASSWORD ${escapeLiteral(role.password)}`}`,
    );
  } else if (existing[0].rolsuper) {
    throw new Error(`the app role ${role.name} is a superuser: no grant or revoke would bind it`);
  }
  const owned = (await db.query(
    `SELECT schemaname || '.' || tablename AS name FROM pg_tables WHERE tableowner = $1 AND schemaname = ANY($2)`,
    [role.name, [...APP_SCHEMAS]],
  )) as Array<{ name: string }>;
  if (owned.length > 0) {
    throw new Error(
      `the app role ${role.name} owns ${owned.map((table) => table.name).join(', ')}: it must own no table (an owner may change or drop it)`,
    );
  }
  const appendOnly = (
    (await db.query('SELECT name FROM unnest($1::text[]) AS name WHERE to_regclass(name) IS NOT NULL', [
      [...APPEND_ONLY_TABLES],
    ])) as Array<{ name: string }>
  ).map((table) => table.name);
  const retained = (
    (await db.query('SELECT name FROM unnest($1::text[]) AS name WHERE to_regclass(name) IS NOT NULL', [
      [...RETAINED_TABLES],
    ])) as Array<{ name: string }>
  ).map((table) => table.name);
  const hasMigrationsTable = (
    (await db.query(`SELECT to_regclass('public.migrations') IS NOT NULL AS present`)) as Array<{
      present: boolean;
    }>
  )[0].present;
  const schemas = APP_SCHEMAS.map((schema) => escapeIdentifier(schema)).join(', ');
  const quoted = (table: string) => table.split('.').map(escapeIdentifier).join('.');
  const statements = [
    `GRANT CONNECT ON DATABASE ${escapeIdentifier(database)} TO ${app}`,
    `GRANT USAGE ON SCHEMA ${schemas} TO ${app}`,
    `GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ${schemas} TO ${app}`,
    `GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA ${schemas} TO ${app}`,
    `ALTER DEFAULT PRIVILEGES FOR ROLE ${escapeIdentifier(owner)} IN SCHEMA ${schemas} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${app}`,
    `ALTER DEFAULT PRIVILEGES FOR ROLE ${escapeIdentifier(owner)} IN SCHEMA ${schemas} GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO ${app}`,
    // The readiness check compares applied migrations with the code's list.
    ...(hasMigrationsTable ? [`GRANT SELECT ON TABLE "public"."migrations" TO ${app}`] : []),
    ...appendOnly.map((table) => `REVOKE UPDATE, DELETE, TRUNCATE ON TABLE ${quoted(table)} FROM ${app}`),
    ...retained.map((table) => `REVOKE DELETE, TRUNCATE ON TABLE ${quoted(table)} FROM ${app}`),
  ];
  for (const statement of statements) await db.query(statement);
  return appendOnly;
}
