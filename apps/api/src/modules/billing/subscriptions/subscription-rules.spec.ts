import { SUBSCRIPTION_TRANSITIONS, type SubscriptionStatus } from '@astrix/contracts';
import { AppError } from '../../../platform/http/app-error';
import {
  MAX_QUANTITY,
  RENEWING_STATUSES,
  REACTIVATION_GRACE_DAYS,
  assertQuantity,
  assertStatusFor,
  assertTransition,
  assertWithinReactivationGrace,
  reactivationDeadline,
} from './subscription-rules';

const STATUSES = Object.keys(SUBSCRIPTION_TRANSITIONS) as SubscriptionStatus[];

/** The AppError `act` throws; fails the test when it throws nothing or something else. */
function errorOf(act: () => void): AppError {
  try {
    act();
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected an AppError, nothing was thrown');
}

describe('RENEWING_STATUSES', () => {
  it('renews trials, active and past-due subscriptions, never incomplete, paused or canceled ones', () => {
    expect([...RENEWING_STATUSES].sort()).toEqual(['active', 'past_due', 'trialing']);
  });
});

describe('assertTransition', () => {
  const allowed = STATUSES.flatMap((from) => SUBSCRIPTION_TRANSITIONS[from].map((to) => [from, to] as const));
  const refused = STATUSES.flatMap((from) =>
    STATUSES.filter((to) => !SUBSCRIPTION_TRANSITIONS[from].includes(to)).map((to) => [from, to] as const),
  );

  it.each(allowed)('allows %s → %s', (from, to) => {
    expect(() => assertTransition('sub_1', from, to)).not.toThrow();
  });

  it.each(refused)('refuses %s → %s with 409 INVALID_TRANSITION', (from, to) => {
    const error = errorOf(() => assertTransition('sub_1', from, to));
    expect(error.status).toBe(409);
    expect(error.code).toBe('INVALID_TRANSITION');
    expect(error.details).toEqual([
      { field: 'status', message: expect.stringContaining(`allowed from ${from}:`) },
    ]);
  });

  it('covers every status: the matrix above is not empty on either side', () => {
    expect(allowed.length).toBeGreaterThan(0);
    expect(refused.length).toBeGreaterThan(0);
    expect(allowed.length + refused.length).toBe(STATUSES.length ** 2);
  });

  it('names the statuses reachable from here, joined with commas and a final "or"', () => {
    expect(errorOf(() => assertTransition('sub_1', 'active', 'trialing')).message).toBe(
      'subscription sub_1 is active: it can move to past_due, canceled or paused, not trialing',
    );
    expect(errorOf(() => assertTransition('sub_1', 'paused', 'past_due')).message).toBe(
      'subscription sub_1 is paused: it can move to active or canceled, not past_due',
    );
  });

  it('lets a canceled subscription come back to active only (reactivation within the grace)', () => {
    expect(() => assertTransition('sub_1', 'canceled', 'active')).not.toThrow();
    const error = errorOf(() => assertTransition('sub_1', 'canceled', 'paused'));
    expect(error.message).toBe('subscription sub_1 is canceled: it can move to active, not paused');
    expect(error.details).toEqual([{ field: 'status', message: 'allowed from canceled: active' }]);
  });

  it('refuses staying in the same status: no status lists itself', () => {
    for (const status of STATUSES) {
      expect(() => assertTransition('sub_1', status, status)).toThrow(AppError);
    }
  });
});

describe('assertWithinReactivationGrace', () => {
  const ended = new Date('2026-03-20T10:00:00Z');

  it('lasts 14 days from the end of the subscription', () => {
    expect(REACTIVATION_GRACE_DAYS).toBe(14);
    expect(reactivationDeadline(ended).toISOString()).toBe('2026-04-03T10:00:00.000Z');
  });

  it.each(['2026-03-20T10:00:00Z', '2026-03-27T00:00:00Z', '2026-04-03T09:59:59.999Z'])(
    'allows a reactivation at %s',
    (now) => {
      expect(() => assertWithinReactivationGrace('sub_1', ended, new Date(now))).not.toThrow();
    },
  );

  it.each(['2026-04-03T10:00:00Z', '2026-05-01T00:00:00Z'])(
    'refuses one at %s with 409 naming the grace and when it ended',
    (now) => {
      const error = errorOf(() => assertWithinReactivationGrace('sub_1', ended, new Date(now)));
      expect(error.status).toBe(409);
      expect(error.code).toBe('REACTIVATION_GRACE_ENDED');
      expect(error.message).toBe(
        'subscription sub_1 ended at 2026-03-20T10:00:00.000Z; the 14-day grace for reactivating it ended at 2026-04-03T10:00:00.000Z: subscribe again instead',
      );
      expect(error.details).toEqual([
        { field: 'status', message: 'a canceled subscription can be reactivated within 14 days of its end' },
      ]);
    },
  );

  it('refuses a subscription with no end time: the grace cannot be judged', () => {
    const error = errorOf(() => assertWithinReactivationGrace('sub_1', null, ended));
    expect(error.code).toBe('REACTIVATION_GRACE_ENDED');
    expect(error.message).toContain('14-day grace');
  });
});

describe('assertStatusFor', () => {
  it('allows an action from any of its required statuses', () => {
    for (const status of ['trialing', 'active', 'past_due'] as const) {
      expect(() =>
        assertStatusFor('change the plan of', 'sub_1', status, ['trialing', 'active', 'past_due']),
      ).not.toThrow();
    }
  });

  it('refuses with 409 INVALID_TRANSITION, naming the action and the one status it needs', () => {
    const error = errorOf(() => assertStatusFor('resume', 'sub_1', 'active', ['paused']));
    expect(error.status).toBe(409);
    expect(error.code).toBe('INVALID_TRANSITION');
    expect(error.message).toBe('cannot resume subscription sub_1: it is active, and resume needs paused');
    expect(error.details).toEqual([{ field: 'status', message: 'resume is allowed from paused' }]);
  });

  it('lists several required statuses with a final "or"', () => {
    const error = errorOf(() =>
      assertStatusFor('cancel at period end', 'sub_1', 'paused', ['trialing', 'active', 'past_due']),
    );
    expect(error.message).toBe(
      'cannot cancel at period end subscription sub_1: it is paused, and cancel at period end needs trialing, active or past_due',
    );
  });

  it('refuses everything when no status is required', () => {
    expect(errorOf(() => assertStatusFor('touch', 'sub_1', 'active', [])).message).toBe(
      'cannot touch subscription sub_1: it is active, and touch needs none',
    );
  });
});

describe('assertQuantity', () => {
  it.each([1, 2, MAX_QUANTITY])('accepts %d seats', (quantity) => {
    expect(() => assertQuantity(quantity)).not.toThrow();
  });

  it.each([0, -1, MAX_QUANTITY + 1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, Number.MAX_SAFE_INTEGER + 1])(
    'refuses %p seats with 422 naming the field',
    (quantity) => {
      const error = errorOf(() => assertQuantity(quantity));
      expect(error.status).toBe(422);
      expect(error.code).toBe('UNPROCESSABLE');
      expect(error.message).toBe(`quantity ${quantity} must be a whole number from 1 to 10000`);
      expect(error.details).toEqual([
        { field: 'quantity', message: 'must be a whole number from 1 to 10000' },
      ]);
    },
  );
});
