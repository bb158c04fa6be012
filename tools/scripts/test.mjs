#!/usr/bin/env node
// `pnpm test`: lint, type-check and test every project (tests use real Postgres and Redis,
// each run in databases of its own). Nx builds what the tests run (the API's CLI) first.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
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
