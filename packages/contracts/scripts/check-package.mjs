#!/usr/bin/env node
// Loads the built package through its own `exports` map, as a consumer would, in both module
// systems (`import` → dist/index.mjs, `require` → dist/index.js), and checks what it ships.
// Run after `pnpm build`: `pnpm --filter @astrix/contracts pack:check`.
import { createRequire } from 'node:module';

const expected = [
  'AstrixClient',
  'AstrixApiError',
  'verifyWebhook',
  'isEventOfType',
  'eventGuards',
  'EVENT_SCHEMAS',
];
const esm = await import('@astrix/contracts');
const cjs = createRequire(import.meta.url)('@astrix/contracts');
const problems = [];
for (const [system, loaded] of [
  ['esm', esm],
  ['cjs', cjs],
]) {
  for (const name of expected) if (!(name in loaded)) problems.push(`${system}: ${name} missing`);
}
if (problems.length > 0) {
  console.error(problems.join('\n'));
  process.exit(1);
}
console.log(`ok: ESM and CJS builds export ${expected.join(', ')}`);
