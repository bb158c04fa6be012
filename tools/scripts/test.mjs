#!/usr/bin/env node
// `pnpm test`: check formatting, then lint, type-check and test every project (tests use real Postgres and Redis,
// each run in databases of its own). Nx builds what the tests run (the API's CLI) first.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

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
const result = spawnSync(
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
  { cwd: root, stdio: 'inherit', env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true' } },
);
process.exit(result.status ?? 1);
