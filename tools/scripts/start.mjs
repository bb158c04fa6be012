#!/usr/bin/env node
// `pnpm start`: from a fresh checkout to a running API. Builds, creates and migrates the
// database, seeds the demo catalog (local sandbox only), then runs the API with its workers
// (or, with --worker, the workers alone).
import { spawn, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isLocal, withLocalOptIn } from './local-opt-in.mjs';
import { loadDotEnv } from './dot-env.mjs';
import { apiNodeFlags } from './node-flags.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
loadDotEnv(root);
const workerOnly = process.argv.includes('--worker');
// Fails closed without NODE_ENV: a newcomer's `pnpm start` opts in to the sandbox, with a warning.
const env = withLocalOptIn(process.env, 'pnpm start');

function step(title, command, args) {
  process.stdout.write(`> ${title}\n`);
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env });
  if (result.status !== 0) {
    process.stderr.write(`\n${title} failed (exit ${result.status ?? result.signal}).\n`);
    process.exit(result.status ?? 1);
  }
}

// The API and the staff console it serves at /console.
step('build', 'pnpm', [
  'exec',
  'nx',
  'run-many',
  '-t',
  'build',
  '-p',
  '@astrix/api',
  '@astrix/console',
  '--outputStyle=static',
]);
step('migrate', process.execPath, ['apps/api/dist/cli.js', 'db', 'migrate']);
// Idempotent: creates only the demo products and coupons that are missing.
if (isLocal(env)) {
  step('seed', process.execPath, ['apps/api/dist/cli.js', 'db', 'seed']);
}

const entry = workerOnly ? 'apps/api/dist/worker.js' : 'apps/api/dist/main.js';
const child = spawn(process.execPath, [...(workerOnly ? [] : apiNodeFlags()), entry], {
  cwd: root,
  stdio: 'inherit',
  env,
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
