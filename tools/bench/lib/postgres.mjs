// Where the benches reach Postgres. BENCH_PG_HOST names a host (TCP on port 5432) or, starting with
// '/', the directory of the server's Unix socket (e.g. /var/run/postgresql): a database on the same
// machine answers faster over its socket than over TCP loopback (docs/performance.md, #25 fourteenth
// session). The default stays TCP to 127.0.0.1, as every figure recorded before that session.
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export const pgHost = process.env.BENCH_PG_HOST || '127.0.0.1';
const overSocket = pgHost.startsWith('/');

/** The URL of `database` as the API and the benches' own clients connect to it. */
export function databaseUrl(database) {
  return overSocket
    ? `postgres://postgres@${encodeURIComponent(pgHost)}/${database}`
    : `postgres://postgres@${pgHost}:5432/${database}`;
}

/** How the run reached Postgres, printed with the machine. */
export function postgresTransport() {
  return overSocket ? `unix socket in ${pgHost}` : `tcp ${pgHost}:5432`;
}

/** psql's arguments for one statement on `database`, over the same transport. */
const psqlArgs = (database, sql) => ['-h', pgHost, '-U', 'postgres', '-d', database, '-qAtc', sql];

/** psql on `database`, over the same transport. */
export function psql(database, sql, options = {}) {
  return execFileSync('psql', psqlArgs(database, sql), { encoding: 'utf8', ...options });
}

/** psql on `database` without blocking: for what a bench reads while its load runs. */
export async function psqlAsync(database, sql) {
  const { stdout } = await execFileAsync('psql', psqlArgs(database, sql), { encoding: 'utf8' });
  return stdout;
}
