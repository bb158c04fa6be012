// The digest a failed `pnpm test` prints last: fed Nx's interleaved stream, it must repeat what the
// failed tasks said went wrong, and nothing of the tasks that passed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FailureDigest } from '../lib/failure-digest.mjs';

const RUN = [
  '@astrix/api:  PASS  src/modules/billing/refunds/refunds.spec.ts',
  '@astrix/api: [Nest] 14878  WARN [MetricsRegistry] metric astrix_test_broken not collected: Error: boom',
  '@astrix/chaos: [chaos 104.3s] load stopped after 596 operations; waiting for faults to finish',
  '@astrix/api:  FAIL  test/e2e/payouts.spec.ts',
  '@astrix/chaos: [chaos 112.2s] 2 finding(s):',
  '@astrix/api:   ● payouts › two approvals racing pay once',
  '@astrix/chaos: [chaos 112.2s]   did_not_drain: {"webhooks_pending":3}',
  '@astrix/chaos: [chaos 112.2s]   refund_stalled: {"refund":"rf_1"}',
  '@astrix/chaos: [chaos 112.2s] seed 20261206; operation log /tmp/x.jsonl',
  '@astrix/api:   ● payouts › two approvals racing pay once',
  '@astrix/api: Tests:       1 failed, 1609 passed, 1610 total',
  '',
  ' NX   Running targets lint, typecheck, test for 6 projects failed',
  '',
  'Failed tasks:',
  '',
  '- @astrix/chaos:test',
  '- @astrix/api:test',
  '',
].join('\n');

test('repeats the failed tasks: their telling lines and last lines', () => {
  const digest = new FailureDigest();
  digest.add(RUN);
  const out = digest.render();
  assert.match(out, /Failed tasks, repeated from above: @astrix\/chaos:test, @astrix\/api:test/);
  assert.match(out, /2 finding\(s\):/);
  assert.match(out, /did_not_drain: \{"webhooks_pending":3\}/);
  assert.match(out, /refund_stalled/);
  assert.match(out, /FAIL {2}test\/e2e\/payouts\.spec\.ts/);
  // Jest prints a failure's header twice; the digest's "what failed" keeps it once.
  const whatFailed = out.slice(out.indexOf('── @astrix/api:test'), out.lastIndexOf('its last lines'));
  assert.equal(whatFailed.split('● payouts › two approvals racing pay once').length - 1, 1);
  // A passing test's logged error is not a failure.
  assert.doesNotMatch(out.split('its last lines')[0], /astrix_test_broken/);
});

test('only failed tasks are repeated', () => {
  const digest = new FailureDigest();
  digest.add(RUN.replace('- @astrix/api:test\n', ''));
  const out = digest.render();
  assert.doesNotMatch(out, /@astrix\/api:test/);
  assert.doesNotMatch(out, /payouts\.spec/);
  assert.match(out, /refund_stalled/);
});

test('a passing run has no digest', () => {
  const digest = new FailureDigest();
  digest.add('@astrix/api: Tests:       1610 passed, 1610 total\n\n NX   Successfully ran targets\n');
  assert.equal(digest.render(), '');
});

test('chunks split anywhere, with colours and CRLF, give the same digest', () => {
  const whole = new FailureDigest();
  whole.add(RUN);
  const coloured = RUN.split('\n')
    .map((line) =>
      line
        .replace(/^(@astrix\/\w+):/, '\u001b[36m$1:\u001b[39m')
        .replace(/FAIL/, '\u001b[1;31mFAIL\u001b[0m'),
    )
    .join('\r\n');
  for (const size of [1, 7, 64, 4096]) {
    const split = new FailureDigest();
    for (let at = 0; at < coloured.length; at += size) split.add(coloured.slice(at, at + size));
    assert.equal(split.render(), whole.render(), `chunks of ${size}`);
  }
});

test('the last line without a newline still counts', () => {
  const digest = new FailureDigest();
  digest.add(
    '@astrix/chaos: [multi 30.0s] FAILED:\n@astrix/chaos:   books check: not clean\n\nFailed tasks:\n- @astrix/chaos:test',
  );
  const out = digest.render();
  assert.match(out, /@astrix\/chaos:test/);
  assert.match(out, /\[multi 30\.0s\] FAILED:/);
  assert.match(out, /books check: not clean/);
});

test('a task without output of its own is named', () => {
  const digest = new FailureDigest();
  digest.add('Failed tasks:\n- @astrix/api:build\n');
  assert.match(digest.render(), /@astrix\/api:build\n {3}\(no output of its own\)/);
});

test('a long run keeps bounded lines per project', () => {
  const digest = new FailureDigest({ tellingLines: 3, lastLines: 4, lineChars: 50 });
  for (let n = 0; n < 10_000; n++)
    digest.add(`@astrix/api:  FAIL  test/e2e/case-${n}.spec.ts ${'x'.repeat(100)}\n`);
  digest.add('- @astrix/api:test\n');
  const lines = digest.render().trimEnd().split('\n');
  // header, task line, "what failed" + 3, "its last lines" + 4
  assert.equal(lines.filter((line) => line.startsWith('   ') && !line.endsWith(':')).length, 7);
  assert.ok(lines.every((line) => line.length < 70));
});
