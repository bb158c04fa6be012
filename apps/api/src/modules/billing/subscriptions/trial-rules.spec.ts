import { decideTrial, grantedTrialEnd, trialTermsOf, type TrialTerms } from './trial-rules';

const terms = (overrides: Partial<TrialTerms> = {}): TrialTerms => ({
  days: 7,
  family: 'pro',
  oncePerCustomer: true,
  requiresPaymentMethod: false,
  overage: 'refuse',
  ...overrides,
});

describe('trialTermsOf', () => {
  it('reads the plan attributes with their defaults (family = the plan itself, once, refuse overage)', () => {
    expect(trialTermsOf({ id: 'prd_a', attributes: {} })).toEqual({
      days: 0,
      family: 'prd_a',
      oncePerCustomer: true,
      requiresPaymentMethod: false,
      overage: 'refuse',
    });
    expect(
      trialTermsOf({
        id: 'prd_a',
        attributes: {
          trialDays: 14,
          trialFamily: 'pro',
          trialOncePerCustomer: false,
          trialRequiresPaymentMethod: true,
          trialOverage: 'bill',
        },
      }),
    ).toEqual({
      days: 14,
      family: 'pro',
      oncePerCustomer: false,
      requiresPaymentMethod: true,
      overage: 'bill',
    });
  });
});

describe('decideTrial', () => {
  const decide = (input: Partial<Parameters<typeof decideTrial>[0]> = {}) =>
    decideTrial({
      terms: terms(),
      requestedDays: undefined,
      hasPaymentMethod: true,
      priorTrialsInFamily: 0,
      ...input,
    });

  it("gives the plan's trial, or a shorter one, never a longer one", () => {
    expect(decide()).toEqual({ kind: 'trial', days: 7 });
    expect(decide({ requestedDays: 7 })).toEqual({ kind: 'trial', days: 7 });
    expect(decide({ requestedDays: 3 })).toEqual({ kind: 'trial', days: 3 });
    expect(decide({ requestedDays: 0 })).toEqual({ kind: 'no_trial', why: 'declined' });
    const refused = decide({ requestedDays: 365, hasPaymentMethod: false });
    expect(refused).toMatchObject({ kind: 'refused', field: 'trialDays' });
    expect(refused.kind === 'refused' && refused.message).toContain("the plan's trial is 7 days");
    expect(decide({ terms: terms({ days: 0 }), requestedDays: 1 })).toMatchObject({ kind: 'refused' });
    expect(decide({ terms: terms({ days: 0 }) })).toEqual({ kind: 'no_trial', why: 'plan_has_none' });
  });

  it('gives one trial per customer and family unless the plan allows one every time', () => {
    expect(decide({ priorTrialsInFamily: 1 })).toEqual({ kind: 'no_trial', why: 'already_trialed' });
    expect(decide({ priorTrialsInFamily: 3, terms: terms({ oncePerCustomer: false }) })).toEqual({
      kind: 'trial',
      days: 7,
    });
  });

  it('needs a payment method to charge at once, and before a trial when the plan says so', () => {
    expect(decide({ hasPaymentMethod: false })).toEqual({ kind: 'trial', days: 7 });
    const carded = decide({ hasPaymentMethod: false, terms: terms({ requiresPaymentMethod: true }) });
    expect(carded).toMatchObject({ kind: 'refused', field: 'paymentMethod' });
    const again = decide({ hasPaymentMethod: false, priorTrialsInFamily: 1 });
    expect(again).toMatchObject({ kind: 'refused', field: 'trialDays' });
    expect(again.kind === 'refused' && again.message).toContain('already used');
    expect(decide({ hasPaymentMethod: false, requestedDays: 0 })).toMatchObject({ kind: 'refused' });
  });
});

describe('grantedTrialEnd', () => {
  const trialStart = new Date('2026-05-01T00:00:00Z');
  it('counts the granted days from the trial start, while the subscription is trialing', () => {
    expect(
      grantedTrialEnd({ status: 'trialing', trialStart, days: 30, now: new Date('2026-05-05T00:00:00Z') }),
    ).toEqual({
      ok: true,
      trialEnd: new Date('2026-05-31T00:00:00Z'),
    });
    expect(grantedTrialEnd({ status: 'active', trialStart, days: 30, now: trialStart })).toMatchObject({
      ok: false,
    });
    expect(
      grantedTrialEnd({ status: 'trialing', trialStart, days: 3, now: new Date('2026-05-04T00:00:00Z') }),
    ).toMatchObject({ ok: false });
  });
});
