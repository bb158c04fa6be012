#!/usr/bin/env node
// `pnpm test`: check formatting, then lint, type-check and test every project (tests use real Postgres and Redis,
// each run in databases of its own). Nx builds what the tests run (the API's CLI) first.
import { spawn, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FailureDigest } from './lib/failure-digest.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

// Formatting first: a file Prettier would change fails the run (as `pnpm format:check`), in seconds.
const format = spawnSync('pnpm', ['exec', 'prettier', '--check', '--log-level', 'warn', '.'], {
  cwd: root,
  stdio: 'inherit',
});
if (format.status !== 0) {
  console.error('Formatting differs from Prettier: run `pnpm format` and commit the result.');
  process.exit(format.status ?? 1);
}
// Nx's output goes through as it comes; on failure the failed tasks' telling lines are printed
// again at the end, where a CI log's last lines show them (see lib/failure-digest.mjs).
const digest = new FailureDigest();
const nx = spawn(
  'pnpm',
  [
    'exec',
    'nx',
    'run-many',
    '-t',
    'lint',
    'typecheck',
    'test',
    '--parallel=2',
    '--outputStyle=stream',
    ...process.argv.slice(2),
  ],
  {
    cwd: root,
    stdio: ['inherit', 'pipe', 'pipe'],
    // Piped, Nx would drop its colours; a terminal still gets them.
    env: {
      ...process.env,
      NX_DAEMON: 'false',
      NX_NO_CLOUD: 'true',
      ...(process.stdout.isTTY && process.env.NO_COLOR === undefined ? { FORCE_COLOR: '1' } : {}),
    },
  },
);
nx.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  digest.add(chunk);
});
nx.stderr.on('data', (chunk) => process.stderr.write(chunk));
nx.on('close', (code, signal) => {
  const status = code ?? (signal ? 1 : 0);
  if (status !== 0) process.stdout.write(digest.render());
  process.exit(status);
});
