import { Client } from 'pg';

/** Row count of every table in the app's schemas (and the migrations table), by qualified name. */
export async function tableCounts(databaseUrl: string): Promise<Record<string, number>> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const tables = await client.query<{ name: string }>(
      `SELECT quote_ident(schemaname) || '.' || quote_ident(tablename) AS name FROM pg_tables
        WHERE schemaname IN ('platform', 'billing', 'accounts', 'payouts')
           OR (schemaname = 'public' AND tablename = 'migrations')
        ORDER BY 1`,
    );
    const counts: Record<string, number> = {};
    for (const { name } of tables.rows) {
      const found = await client.query<{ count: number }>(`SELECT count(*)::int AS count FROM ${name}`);
      counts[name] = found.rows[0].count;
    }
    return counts;
  } finally {
    await client.end();
  }
}
