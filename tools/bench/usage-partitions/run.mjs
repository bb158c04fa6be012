#!/usr/bin/env node
// Usage events partitioned by month: the database's side of the ingest INSERT (1,000-row batches as
// the API sends them, 1% repeated keys, one client) into (a) the unpartitioned table of before, with
// its (customer, key) primary key; (b) the partitioned table with a BEFORE INSERT row trigger claiming
// each key in a keys table (the first design); (c) the partitioned table with the key claimed by a
// data-modifying CTE in the same statement (what ships, migration 1795740000001). Alternating rounds,
// so all three see the same background load. Its own database on the Postgres of POSTGRES_ADMIN_URL.
// Usage: node tools/bench/usage-partitions/run.mjs
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const require = createRequire(join(root, 'apps/api/package.json'));
const { Client } = require('pg');
const ADMIN_URL = process.env.POSTGRES_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const NAME = `bench_usage_partitions_${process.pid}`;
const admin = new Client({ connectionString: ADMIN_URL });
await admin.connect();
await admin.query(`CREATE DATABASE ${NAME}`);
const url = new URL(ADMIN_URL);
url.pathname = `/${NAME}`;
const db = new Client({ connectionString: url.toString() });
await db.connect();
const cols = `customer_id text NOT NULL, idempotency_key text NOT NULL, id text NOT NULL, feature_id text NOT NULL, quantity bigint NOT NULL, occurred_at timestamptz NOT NULL, service_id text, properties jsonb, correction_of text, reported_by text NOT NULL, received_at timestamptz NOT NULL`;
// A table partitioned by month as the migration makes it: DEFAULT and the two months the bench uses.
const partitioned = (
  name,
) => `CREATE TABLE ${name} (${cols}, PRIMARY KEY (customer_id, idempotency_key, occurred_at)) PARTITION BY RANGE (occurred_at);
CREATE INDEX ON ${name} (customer_id, feature_id, occurred_at);
CREATE INDEX ON ${name} (customer_id, correction_of) WHERE correction_of IS NOT NULL;
CREATE TABLE ${name}_d PARTITION OF ${name} DEFAULT;
CREATE TABLE ${name}_m1 PARTITION OF ${name} FOR VALUES FROM ('2026-11-01') TO ('2026-12-01');
CREATE TABLE ${name}_m2 PARTITION OF ${name} FOR VALUES FROM ('2026-12-01') TO ('2027-01-01');`;
await db.query(`CREATE TABLE plain (${cols}, PRIMARY KEY (customer_id, idempotency_key));
CREATE INDEX ON plain (customer_id, feature_id, occurred_at);
CREATE INDEX ON plain (customer_id, correction_of) WHERE correction_of IS NOT NULL;
CREATE TABLE keys (customer_id text, idempotency_key text, occurred_at timestamptz NOT NULL, id text NOT NULL, PRIMARY KEY (customer_id, idempotency_key));
${partitioned('part')}
CREATE FUNCTION claim() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO keys VALUES (NEW.customer_id, NEW.idempotency_key, NEW.occurred_at, NEW.id) ON CONFLICT (customer_id, idempotency_key) DO NOTHING;
  IF FOUND THEN RETURN NEW; END IF;
  IF EXISTS (SELECT 1 FROM keys k WHERE k.customer_id = NEW.customer_id AND k.idempotency_key = NEW.idempotency_key AND k.id = NEW.id AND k.occurred_at = NEW.occurred_at) THEN RETURN NEW; END IF;
  RETURN NULL;
END $$;
CREATE TABLE keys2 (customer_id text, idempotency_key text, occurred_at timestamptz NOT NULL, id text NOT NULL, PRIMARY KEY (customer_id, idempotency_key));
${partitioned('part2')}
CREATE TRIGGER claim BEFORE INSERT ON part FOR EACH ROW EXECUTE FUNCTION claim();`);
const sql = (
  table,
  conflict,
) => `INSERT INTO ${table} (customer_id, idempotency_key, id, feature_id, quantity, occurred_at, service_id, properties, correction_of, reported_by, received_at)
SELECT r.c, r.k, r.i, r.f, r.q, r.t, r.s, r.p, r.o, $2, $3 FROM json_to_recordset($1::json) AS r(c text, k text, i text, f text, q bigint, t timestamptz, s text, p jsonb, o text)
${conflict} RETURNING id`;
const PLAIN = sql('plain', 'ON CONFLICT (customer_id, idempotency_key) DO NOTHING');
const PART = sql('part', 'ON CONFLICT DO NOTHING');
const CTE =
  `WITH r AS (SELECT * FROM json_to_recordset($1::json) AS r(c text, k text, i text, f text, q bigint, t timestamptz, s text, p jsonb, o text)),
claimed AS (INSERT INTO keys2 (customer_id, idempotency_key, occurred_at, id) SELECT r.c, r.k, r.t, r.i FROM r ON CONFLICT DO NOTHING RETURNING id)
INSERT INTO part2 (customer_id, idempotency_key, id, feature_id, quantity, occurred_at, service_id, properties, correction_of, reported_by, received_at)
SELECT r.c, r.k, r.i, r.f, r.q, r.t, r.s, r.p, r.o, $2, $3 FROM r JOIN claimed USING (i) RETURNING id`.replace(
    'USING (i)',
    'ON claimed.id = r.i',
  );
let seq = 0;
const batch = (prefix) => {
  const rows = [];
  for (let i = 0; i < 1000; i++) {
    seq++;
    const dup = seq > 2000 && i % 100 === 0; // 1% repeats
    const n = dup ? seq - 1500 : seq;
    rows.push({
      c: `cust${String(n % 1000).padStart(6, '0')}`,
      k: `${prefix}-${n}`,
      i: `ue_${prefix}${seq}`,
      f: 'calls',
      q: 1 + (n % 50),
      t: new Date(Date.UTC(2026, 11, 6) - (n % 600000)).toISOString(),
      s: 'svc',
    });
  }
  rows.sort((a, b) => (a.c === b.c ? (a.k < b.k ? -1 : a.k > b.k ? 1 : 0) : a.c < b.c ? -1 : 1));
  return JSON.stringify(rows);
};
const totals = { plain: 0, part: 0, cte: 0 };
const rowsDone = { plain: 0, part: 0, cte: 0 };
for (let round = 0; round < 6; round++) {
  for (const [name, q] of [
    ['plain', PLAIN],
    ['part', PART],
    ['cte', CTE],
  ]) {
    const payloads = Array.from({ length: 30 }, () => batch(name));
    const start = performance.now();
    for (const p of payloads) await db.query(q, [p, 'bench', new Date()]);
    totals[name] += performance.now() - start;
    rowsDone[name] += 30000;
  }
}
const rate = (n) => Math.round(rowsDone[n] / (totals[n] / 1000));
console.log(
  JSON.stringify({
    benchmark:
      'usage-partitions: INSERT of 1,000-row batches, unpartitioned vs partitioned (trigger claim, statement claim)',
    date: new Date().toISOString(),
    plainRowsPerSecond: rate('plain'),
    partitionedWithKeyTriggerRowsPerSecond: rate('part'),
    ratio: +(rate('part') / rate('plain')).toFixed(2),
    cteRowsPerSecond: rate('cte'),
    cteRatio: +(rate('cte') / rate('plain')).toFixed(2),
    rowsEach: rowsDone.plain,
    load: (await import('node:os')).loadavg()[0],
  }),
);
await db.end();
await admin.query(`DROP DATABASE ${NAME}`);
await admin.end();
