#!/usr/bin/env node
// `pnpm cli …`: the built operator CLI (apps/api/dist/cli.js), with the local sandbox opt-in when
// nothing else was chosen (see local-opt-in.mjs).
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { withLocalOptIn } from './local-opt-in.mjs';
import { loadDotEnv } from './dot-env.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
loadDotEnv(root);
const result = spawnSync(process.execPath, [join(root, 'apps/api/dist/cli.js'), ...process.argv.slice(2)], {
  stdio: 'inherit',
  env: withLocalOptIn(process.env, 'pnpm cli'),
});
process.exit(result.status ?? 1);
