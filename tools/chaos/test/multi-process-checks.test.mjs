// The multi-process check must fail when anything is doubled: its verdict, fed what a clean run
// measures and then each kind of duplicate, one at a time.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DUPLICATE_CHECKS, judge } from '../lib/multi-process-checks.mjs';

const clean = () => ({
  duplicates: Object.fromEntries(DUPLICATE_CHECKS.map(({ name }) => [name, 0])),
  charges: 9,
  accounts: 6,
  renewals: 3,
  received: new Map([
    ['evt_1', 1],
    ['evt_2', 1],
  ]),
  billingRunWorkers: new Set(['host:101', 'host:102']),
  workers: 2,
  books: { clean: true, findings: [] },
  expected: { purchases: 6, subscriptions: 3 },
});

test('a clean run has no findings', () => {
  assert.deepEqual(judge(clean()), []);
});

test('every duplicate kind is a finding', () => {
  assert.equal(DUPLICATE_CHECKS.length, 5);
  for (const { name } of DUPLICATE_CHECKS) {
    const run = clean();
    run.duplicates[name] = 1;
    assert.deepEqual(judge(run), [`${name}: 1`]);
  }
});

test('a check that was not measured is a finding, not a pass', () => {
  const run = clean();
  delete run.duplicates['charges sharing a payment intent'];
  assert.deepEqual(judge(run), ['charges sharing a payment intent: not measured']);
});

test('an account, charge or renewal too many or too few is a finding', () => {
  assert.deepEqual(judge({ ...clean(), accounts: 7 }), ['evaluation accounts: 7, expected 6']);
  assert.deepEqual(judge({ ...clean(), renewals: 4 }), ['renewal invoices: 4, expected 3']);
  assert.deepEqual(judge({ ...clean(), charges: 8 }), ['charges: 8, expected at least 9']);
  assert.deepEqual(judge({ ...clean(), charges: Number.NaN }), ['charges: NaN, expected at least 9']);
});

test('an outbound event received twice, or none received, is a finding', () => {
  assert.deepEqual(judge({ ...clean(), received: new Map([['evt_1', 2]]) }), [
    '1 outbound events received more than once',
  ]);
  assert.deepEqual(judge({ ...clean(), received: new Map() }), ['no outbound webhook received']);
});

test('billing runs on one worker only, or unclean books, are findings', () => {
  assert.deepEqual(judge({ ...clean(), billingRunWorkers: new Set(['host:101']) }), [
    'billing runs ran on 1 of 2 worker processes',
  ]);
  assert.deepEqual(judge({ ...clean(), books: { clean: false, findings: ['x'] } }), [
    'books check not clean: ["x"]',
  ]);
});
