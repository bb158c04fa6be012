// The harness's own Postgres cluster and Redis server: never the machine's shared ones, which other
// test projects use at the same time. Both can be killed and restarted for faults.
import { execFileSync, spawn } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdtempSync,
  rmSync,
  writeFileSync,
  appendFileSync,
} from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const PG_BIN = process.env.CHAOS_PG_BIN ?? '/usr/lib/postgresql/15/bin';
const IS_ROOT = process.getuid?.() === 0;

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A port nobody listens on right now (the kernel picks it). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Resolves once something accepts TCP connections on the port, or rejects after the timeout. */
export async function waitForPort(port, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on port ${port} after ${timeoutMs} ms`);
    await sleep(100);
  }
}

/** A scratch directory for the run; the postgres user owns it when we run as root (initdb refuses root). */
export function scratchDirectory() {
  const dir = mkdtempSync(join(tmpdir(), 'astrix-chaos-'));
  chmodSync(dir, 0o755);
  if (IS_ROOT) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, uid, gid);
  }
  return dir;
}

/** Runs a Postgres binary, as the postgres user when we are root. */
function pg(binary, args, options = {}) {
  const command = join(PG_BIN, binary);
  const [file, argv] = IS_ROOT ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
  return execFileSync(file, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...options });
}

/** Our own throwaway Postgres cluster: trust auth, fsync off, on a free port. */
export class PostgresCluster {
  constructor(dir, port) {
    this.dataDir = join(dir, 'pg');
    this.logFile = join(dir, 'postgres.log');
    this.socketDir = dir;
    this.port = port;
  }

  static async create(dir) {
    const cluster = new PostgresCluster(dir, await freePort());
    pg('initdb', [
      '-D',
      cluster.dataDir,
      '-A',
      'trust',
      '-U',
      'postgres',
      '--no-sync',
      '-E',
      'UTF8',
      '--locale=C',
    ]);
    appendFileSync(
      join(cluster.dataDir, 'postgresql.conf'),
      [
        `port = ${cluster.port}`,
        `listen_addresses = '127.0.0.1'`,
        `unix_socket_directories = '${cluster.socketDir}'`,
        'fsync = off',
        'full_page_writes = off',
        'max_connections = 200',
        'shared_buffers = 64MB',
        '',
      ].join('\n'),
    );
    cluster.start();
    return cluster;
  }

  get url() {
    return `postgres://postgres@127.0.0.1:${this.port}/astrix_chaos`;
  }

  start() {
    pg('pg_ctl', ['-D', this.dataDir, '-l', this.logFile, '-w', '-t', '60', 'start']);
  }

  /** A crash: no checkpoint, every connection dropped. */
  stopImmediately() {
    try {
      pg('pg_ctl', ['-D', this.dataDir, '-m', 'immediate', '-w', 'stop']);
    } catch {
      // already stopped
    }
  }

  createDatabase(name) {
    execFileSync('psql', [
      '-h',
      '127.0.0.1',
      '-p',
      String(this.port),
      '-U',
      'postgres',
      '-qc',
      `CREATE DATABASE ${name}`,
    ]);
  }

  destroy() {
    this.stopImmediately();
  }
}

/** Our own Redis, without persistence (a restart loses everything in it, as an unpersisted Redis does). */
export class RedisServer {
  constructor(dir, port) {
    this.port = port;
    this.logFile = join(dir, 'redis.log');
    this.process = null;
  }

  static async create(dir) {
    const server = new RedisServer(dir, await freePort());
    await server.start();
    return server;
  }

  get url() {
    return `redis://127.0.0.1:${this.port}`;
  }

  get running() {
    return this.process !== null;
  }

  async start() {
    if (this.process) return;
    writeFileSync(this.logFile, '', { flag: 'a' });
    const child = spawn(
      'redis-server',
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--logfile',
        this.logFile,
      ],
      { stdio: 'ignore' },
    );
    this.process = child;
    child.once('exit', () => {
      if (this.process === child) this.process = null;
    });
    await waitForPort(this.port);
  }

  kill() {
    const child = this.process;
    if (!child) return Promise.resolve();
    this.process = null;
    return new Promise((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }

  destroy() {
    this.process?.kill('SIGKILL');
    this.process = null;
  }
}

export function removeScratch(dir) {
  if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
}
