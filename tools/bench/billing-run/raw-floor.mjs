// The billing run's floor: the rows the run wrote, written again raw into a twin database (migrated
// and seeded the same way), batch by batch as the run committed them, each batch in one statement
// from a pg client: no reads, no pricing, no numbering logic, one round trip per batch. What remains
// is what the database itself costs for those rows (indexes, triggers, the ledger's deferred balance
// checks at commit, the series row every batch updates).
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { cpuUsageOf, root } from '../lib/api-server.mjs';

const require = createRequire(join(root, 'apps/api/package.json'));
const { Client } = require('pg');

/**
 * What the billing run inserts for an invoice, with the rows of each table that belong to the invoices
 * of batch `f` (f: id, subscription_id, customer_id, batch). In statement order.
 */
const INSERTED = [
  [
    'billing.invoices',
    'SELECT f.batch, to_jsonb(t) FROM floor_batches f JOIN billing.invoices t ON t.id = f.id',
  ],
  [
    'billing.invoice_lines',
    'SELECT f.batch, to_jsonb(t) FROM floor_batches f JOIN billing.invoice_lines t ON t.invoice_id = f.id',
  ],
  [
    'billing.revenue_schedules',
    'SELECT f.batch, to_jsonb(t) FROM floor_batches f JOIN billing.revenue_schedules t ON t.invoice_id = f.id',
  ],
  [
    'billing.customer_balance_transactions',
    'SELECT f.batch, to_jsonb(t) FROM floor_batches f JOIN billing.customer_balance_transactions t ON t.invoice_id = f.id',
  ],
  [
    'billing.journal_entries',
    `SELECT f.batch, to_jsonb(t) FROM floor_batches f
       JOIN billing.journal_entries t ON t.source_type = 'invoice' AND t.source_id = f.id
     UNION ALL
     SELECT f.batch, to_jsonb(t) FROM floor_batches f
       JOIN billing.customer_balance_transactions b ON b.invoice_id = f.id
       JOIN billing.journal_entries t ON t.source_type = 'customer_balance_transaction' AND t.source_id = b.id`,
  ],
  [
    'billing.journal_lines',
    `SELECT r.batch, to_jsonb(t) FROM floor_rows r
       JOIN billing.journal_lines t ON t.entry_id = r.row ->> 'id'
      WHERE r.target = 'billing.journal_entries'`,
  ],
  [
    'platform.audit_log',
    `SELECT f.batch, to_jsonb(t) FROM floor_batches f
       JOIN platform.audit_log t ON t.resource_type = 'invoice' AND t.resource_id = f.id`,
  ],
  [
    'platform.outbox_events',
    'SELECT f.batch, to_jsonb(t) FROM floor_batches f JOIN platform.outbox_events t ON t.subject = f.id',
  ],
];
/** What it updates: each row's state after the run, keyed by the columns listed. */
const UPDATED = [
  [
    'billing.subscriptions',
    ['id'],
    'SELECT f.batch, to_jsonb(t) FROM floor_batches f JOIN billing.subscriptions t ON t.id = f.subscription_id',
  ],
  [
    'billing.customer_balances',
    ['customer_id', 'currency'],
    `SELECT DISTINCT ON (t.customer_id, t.currency) f.batch, to_jsonb(t) FROM floor_batches f
       JOIN billing.customer_balances t ON t.customer_id = f.customer_id
      ORDER BY t.customer_id, t.currency, f.batch`,
  ],
];
const TABLES = [...UPDATED.map(([table]) => table), ...INSERTED.map(([table]) => table)];
/** Batches exported from the run's database at a time (untimed), then replayed (timed). */
const CHUNK_BATCHES = 400;

/**
 * @param {{ sourceUrl: string, floorUrl: string, batchSize: number, parallelism: number, runId: string }} options
 * sourceUrl: the database the billing run wrote; floorUrl: its twin, migrated and seeded the same way.
 */
export async function rawReplayFloor({ sourceUrl, floorUrl, batchSize, parallelism, runId }) {
  const source = new Client({ connectionString: sourceUrl });
  await source.connect();
  const writers = await Promise.all(
    Array.from({ length: parallelism }, async () => {
      const client = new Client({ connectionString: floorUrl });
      await client.connect();
      return client;
    }),
  );
  try {
    // The run's batches, as it numbered them: invoice numbers are taken under the series lock, a batch
    // at a time, so consecutive numbers are a batch.
    await source.query(`CREATE TABLE floor_batches AS
      SELECT id, subscription_id, customer_id, (row_number() OVER (ORDER BY number) - 1) / ${batchSize} AS batch
        FROM billing.invoices`);
    await source.query('CREATE TABLE floor_rows (batch bigint, target text, row jsonb)');
    for (const [table, rowsSql] of [...UPDATED.map(([table, , sql]) => [table, sql]), ...INSERTED]) {
      await source.query(`INSERT INTO floor_rows SELECT b, '${table}', r FROM (${rowsSql}) AS x(b, r)`);
    }
    await source.query('CREATE INDEX ON floor_rows (batch)');
    const [{ batches }] = (
      await source.query('SELECT count(DISTINCT batch)::int AS batches FROM floor_batches')
    ).rows;
    const [{ series }] = (await source.query('SELECT series FROM billing.document_number_series')).rows;

    // The twin starts where the run's database started: the same seed, the run's row, its number series at 0.
    const [{ run }] = (
      await source.query('SELECT to_jsonb(r) AS run FROM billing.billing_runs r WHERE id = $1', [runId])
    ).rows;
    await writers[0].query(
      'INSERT INTO billing.billing_runs SELECT * FROM jsonb_populate_record(NULL::billing.billing_runs, $1)',
      [run],
    );
    await writers[0].query(
      'INSERT INTO billing.document_number_series (series, last_number) VALUES ($1, 0)',
      [series],
    );
    const statement = await replayStatement(writers[0]);

    const latencies = [];
    let seconds = 0;
    // The twin's backends, looked up on the source's connection (idle while batches replay), so no
    // timed connection carries the look-up. This process's CPU is summed over the replays alone.
    const [{ floorDatabase }] = (await writers[0].query('SELECT current_database() AS "floorDatabase"')).rows;
    const stopCpu = await cpuUsageOf(process.pid, async () =>
      (await source.query('SELECT pid FROM pg_stat_activity WHERE datname = $1', [floorDatabase])).rows.map(
        (row) => row.pid,
      ),
    );
    let processSeconds = 0;
    for (let first = 0; first < batches; first += CHUNK_BATCHES) {
      const chunk = await exportChunk(source, first, Math.min(batches, first + CHUNK_BATCHES));
      let next = 0;
      const started = performance.now();
      const cpuBefore = process.cpuUsage();
      await Promise.all(
        writers.map(async (client) => {
          for (let at = next++; at < chunk.length; at = next++) {
            const { rows, invoices } = chunk[at];
            const batchStarted = performance.now();
            await client.query({
              name: 'billing-run-floor',
              text: statement,
              values: [...TABLES.map((table) => rows.get(table) ?? '[]'), invoices, series, runId],
            });
            const duration = performance.now() - batchStarted;
            for (let index = 0; index < invoices; index += 1) latencies.push(duration);
          }
        }),
      );
      seconds += (performance.now() - started) / 1000;
      const { user, system } = process.cpuUsage(cpuBefore);
      processSeconds += (user + system) / 1e6;
    }
    const { postgresSeconds } = await stopCpu();
    const [{ written }] = (await writers[0].query('SELECT count(*)::int AS written FROM billing.invoices'))
      .rows;
    // The floor wrote what the run wrote: every table's rows, in both databases, hash the same.
    const differing = [];
    for (const table of TABLES) {
      const digest = `SELECT md5(coalesce(string_agg(to_jsonb(t)::text, ',' ORDER BY to_jsonb(t)::text), '')) AS digest
                        FROM ${table} t`;
      const [[ran], [replayed]] = await Promise.all(
        [source, writers[0]].map(async (client) => (await client.query(digest)).rows),
      );
      if (ran.digest !== replayed.digest) differing.push(table);
    }
    return { batches, seconds, latencies, written, differing, processSeconds, postgresSeconds };
  } finally {
    await Promise.all([source, ...writers].map((client) => client.end()));
  }
}

/** The chunk's batches in order: each one's rows per table (a JSON array's text) and its invoice count. */
async function exportChunk(source, first, end) {
  const { rows } = await source.query(
    `SELECT batch::int, target, json_agg(row)::text AS rows, count(*)::int AS count
       FROM floor_rows WHERE batch >= $1 AND batch < $2 GROUP BY batch, target ORDER BY batch`,
    [first, end],
  );
  const chunk = Array.from({ length: end - first }, () => ({ rows: new Map(), invoices: 0 }));
  for (const row of rows) {
    const batch = chunk[row.batch - first];
    batch.rows.set(row.target, row.rows);
    if (row.target === 'billing.invoices') batch.invoices = row.count;
  }
  return chunk;
}

/**
 * One statement per batch: every update and insert as a data-modifying CTE (all of them run, whether
 * or not the statement reads them), then the series and the run's progress, as the run moves them.
 * Parameters: one JSON array per table of TABLES, then the batch's invoice count, the series, the run.
 */
async function replayStatement(client) {
  const columnsOf = async (table) => {
    const [schema, name] = table.split('.');
    const { rows } = await client.query(
      `SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2
        ORDER BY ordinal_position`,
      [schema, name],
    );
    return rows.map((row) => row.column_name);
  };
  const parts = [];
  for (const [index, [table, keys]] of UPDATED.entries()) {
    const set = (await columnsOf(table))
      .filter((column) => !keys.includes(column))
      .map((column) => `"${column}" = r."${column}"`)
      .join(', ');
    const where = keys.map((key) => `t."${key}" = r."${key}"`).join(' AND ');
    parts.push(
      `u${index} AS (UPDATE ${table} t SET ${set} FROM json_populate_recordset(NULL::${table}, $${index + 1}::json) r WHERE ${where})`,
    );
  }
  for (const [index, [table]] of INSERTED.entries()) {
    const parameter = UPDATED.length + index + 1;
    parts.push(
      `i${index} AS (INSERT INTO ${table} SELECT * FROM json_populate_recordset(NULL::${table}, $${parameter}::json))`,
    );
  }
  const count = TABLES.length + 1;
  parts.push(
    `numbered AS (UPDATE billing.document_number_series SET last_number = last_number + $${count}::int
                   WHERE series = $${count + 1}::text)`,
  );
  return `WITH ${parts.join(',\n')}
    UPDATE billing.billing_runs SET invoices_created = invoices_created + $${count}::int WHERE id = $${count + 2}::text`;
}
