import { Client } from 'pg';

/** The advisory lock key every `db migrate` takes ('astrxmig' as a 64-bit integer). */
export const MIGRATION_LOCK_KEY = '7022084278996265319';

/**
 * Runs the work while holding the migration lock, so two replicas starting at once cannot race:
 * the second waits, then finds nothing pending. The lock is transaction-scoped
 * (`pg_advisory_xact_lock`) on a connection of its own that keeps one transaction open for the
 * whole run: it works through PgBouncer in transaction mode too (an open transaction keeps its
 * server connection), and it is released when the transaction ends or the connection drops, so a
 * crashed migrator never leaves it held. Timeouts are off for that transaction only.
 */
export async function withMigrationLock<T>(
  databaseUrl: string,
  work: () => Promise<T>,
  onWait: () => void = () => undefined,
): Promise<T> {
  const client = new Client({ connectionString: databaseUrl, application_name: 'astrix-migrate-lock' });
  await client.connect();
  try {
    await client.query('BEGIN');
    await client.query(`SET LOCAL statement_timeout = 0`);
    await client.query(`SET LOCAL lock_timeout = 0`);
    await client.query(`SET LOCAL idle_in_transaction_session_timeout = 0`);
    const tried = await client.query<{ locked: boolean }>(
      'SELECT pg_try_advisory_xact_lock($1::bigint) AS locked',
      [MIGRATION_LOCK_KEY],
    );
    if (!tried.rows[0]?.locked) {
      onWait();
      await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [MIGRATION_LOCK_KEY]);
    }
    try {
      return await work();
    } finally {
      await client.query('COMMIT');
    }
  } finally {
    await client.end();
  }
}
