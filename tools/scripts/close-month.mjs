#!/usr/bin/env node
// `node tools/scripts/close-month.mjs [--month YYYY-MM] [--out-dir DIR]`: the month-end close
// (docs/finance.md "Month-end close") through the built operator CLI. Defaults: the month that
// ended last (UTC) and tmp/close-<month>. Recognizes through the month's last day, checks the trial
// balance at the month end, deferred + recognized = invoiced net of credits per currency and the
// books' recognition findings, and writes journal-<month>.csv/.json and close-<month>.json.
// Exits 1 when the month does not close.
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { withLocalOptIn } from './local-opt-in.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

function option(name) {
  const index = process.argv.indexOf(name);
  return index === -1 ? undefined : process.argv[index + 1];
}

function lastMonth(now = new Date()) {
  const first = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
  return first.toISOString().slice(0, 7);
}

const month = option('--month') ?? lastMonth();
if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(month)) {
  process.stderr.write(`--month must be YYYY-MM, got ${month}\n`);
  process.exit(2);
}
const outDir = resolve(option('--out-dir') ?? join(root, 'tmp', `close-${month}`));
const result = spawnSync(
  process.execPath,
  [join(root, 'apps/api/dist/cli.js'), 'close', '--month', month, '--out-dir', outDir],
  { stdio: 'inherit', env: withLocalOptIn(process.env, 'close-month') },
);
if (result.status === 0) process.stderr.write(`close-month: ${month} closed; files in ${outDir}\n`);
process.exit(result.status ?? 1);
