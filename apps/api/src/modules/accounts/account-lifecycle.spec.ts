import type { AccountKind, AccountStatus } from '@astrix/contracts';
import { ACCOUNT_STATUSES, checkTransition, resetRefusal, tradingStatus } from './account-lifecycle';

const ALLOWED: Record<AccountKind, Array<[AccountStatus, AccountStatus]>> = {
  evaluation: [
    ['provisioning', 'active'],
    ['provisioning', 'on_hold'],
    ['on_hold', 'active'],
    ['on_hold', 'closed'],
    ['active', 'passed'],
    ['active', 'failed'],
    ['active', 'breached'],
    ['active', 'suspended'],
    ['active', 'closed'],
    ['passed', 'active'],
    ['passed', 'funded'],
    ['passed', 'closed'],
    ['failed', 'active'],
    ['failed', 'closed'],
    ['breached', 'active'],
    ['breached', 'closed'],
    ['suspended', 'active'],
    ['suspended', 'closed'],
  ],
  funded: [
    ['provisioning', 'funded'],
    ['provisioning', 'on_hold'],
    ['on_hold', 'funded'],
    ['on_hold', 'closed'],
    ['funded', 'suspended'],
    ['funded', 'closed'],
    ['suspended', 'funded'],
    ['suspended', 'closed'],
  ],
};

describe('account state machine', () => {
  for (const kind of ['evaluation', 'funded'] as const) {
    describe(`${kind} accounts`, () => {
      const pairs = ACCOUNT_STATUSES.flatMap((from) => ACCOUNT_STATUSES.map((to) => [from, to] as const));
      it.each(pairs)('%s → %s is allowed exactly when the table says so', (from, to) => {
        const expected = ALLOWED[kind].some(([a, b]) => a === from && b === to);
        const check = checkTransition(kind, from, to);
        expect(check.ok).toBe(expected);
        if (!check.ok) {
          expect([...check.allowed].sort()).toEqual(
            ALLOWED[kind]
              .filter(([a]) => a === from)
              .map(([, b]) => b)
              .sort(),
          );
        }
      });
    });
  }

  it('never leaves closed', () => {
    for (const kind of ['evaluation', 'funded'] as const)
      for (const to of ACCOUNT_STATUSES)
        expect(checkTransition(kind, 'closed', to)).toEqual({ ok: false, allowed: [] });
  });

  it('resumes evaluations as active and funded accounts as funded', () => {
    expect(tradingStatus('evaluation')).toBe('active');
    expect(tradingStatus('funded')).toBe('funded');
  });
});

describe('reset eligibility', () => {
  const evaluation = (status: AccountStatus, resetCount = 0) => ({
    kind: 'evaluation' as const,
    status,
    resetCount,
  });

  it.each(['active', 'failed', 'breached'] as const)('allows an evaluation in %s', (status) => {
    expect(resetRefusal(evaluation(status), 3)).toBeNull();
  });

  it.each(ACCOUNT_STATUSES.filter((status) => !['active', 'failed', 'breached'].includes(status)))(
    'refuses an evaluation in %s',
    (status) => {
      expect(resetRefusal(evaluation(status), null)).toContain(`status ${status}`);
    },
  );

  it('refuses funded accounts, whatever their status', () => {
    for (const status of ACCOUNT_STATUSES)
      expect(resetRefusal({ kind: 'funded', status, resetCount: 0 }, null)).toBe(
        'funded accounts cannot be reset',
      );
  });

  it('refuses once the maximum number of resets is reached, and has no limit when none is set', () => {
    expect(resetRefusal(evaluation('failed', 2), 3)).toBeNull();
    expect(resetRefusal(evaluation('failed', 3), 3)).toContain('the most allowed');
    expect(resetRefusal(evaluation('failed', 99), null)).toBeNull();
  });
});
