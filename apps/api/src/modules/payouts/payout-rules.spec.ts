import type { AccountStatus } from '@astrix/contracts';
import {
  DAY_MS,
  DEFAULT_PAYOUT_RULES,
  decidePayout,
  lastFundedAt,
  nextPayoutAllowedAt,
  type PayoutFacts,
  type PayoutRules,
  payoutRulesFor,
  requiresSecondApproval,
} from './payout-rules';

const NOW = new Date('2026-03-01T00:00:00Z');
const daysAgo = (days: number): Date => new Date(NOW.getTime() - days * DAY_MS);
const STARTING_BALANCE = 10_000_000;

/** A funded, verified, clear account 10 days after funding with $5,000 of profit and no payouts yet. */
const facts = (overrides: Partial<PayoutFacts> = {}): PayoutFacts => ({
  now: NOW,
  currency: 'USD',
  accountStatus: 'funded',
  startingBalance: STARTING_BALANCE,
  reportedBalance: STARTING_BALANCE + 500_000,
  fundedAt: daysAgo(10),
  kycStatus: 'verified',
  fraudStatus: 'clear',
  livePayouts: [],
  paidOutTotal: 0,
  ...overrides,
});

const rules = (overrides: Partial<PayoutRules> = {}): PayoutRules => ({
  ...DEFAULT_PAYOUT_RULES,
  ...overrides,
});

describe('payout rules', () => {
  describe('payoutRulesFor', () => {
    it('uses the defaults when the product has no rules of its own', () => {
      expect(payoutRulesFor(null)).toEqual(DEFAULT_PAYOUT_RULES);
      expect(payoutRulesFor(undefined)).toEqual(DEFAULT_PAYOUT_RULES);
    });

    it("takes the product's fields over the defaults and keeps the rest", () => {
      expect(payoutRulesFor({ minimumPayout: 5_000, cycleDays: 7 })).toEqual({
        ...DEFAULT_PAYOUT_RULES,
        minimumPayout: 5_000,
        cycleDays: 7,
      });
    });
  });

  describe('lastFundedAt', () => {
    it('is null for an account never funded', () => {
      expect(lastFundedAt([])).toBeNull();
      expect(
        lastFundedAt([
          { to: 'active', occurredAt: '2026-01-01T00:00:00Z' },
          { to: 'passed', occurredAt: '2026-01-10T00:00:00Z' },
        ]),
      ).toBeNull();
    });

    it('is the latest change to funded', () => {
      expect(
        lastFundedAt([
          { to: 'funded', occurredAt: '2026-01-01T00:00:00Z' },
          { to: 'suspended', occurredAt: '2026-01-05T00:00:00Z' },
          { to: 'funded', occurredAt: '2026-01-20T00:00:00Z' },
          { to: 'closed', occurredAt: '2026-02-01T00:00:00Z' },
        ]),
      ).toEqual(new Date('2026-01-20T00:00:00Z'));
    });
  });

  describe('nextPayoutAllowedAt', () => {
    it('is null before the account is funded', () => {
      expect(nextPayoutAllowedAt(rules(), null, null)).toBeNull();
      expect(nextPayoutAllowedAt(rules(), null, daysAgo(1))).toBeNull();
    });

    it('is the minimum trading days after funding before any payout', () => {
      expect(nextPayoutAllowedAt(rules({ minTradingDays: 5 }), daysAgo(10), null)).toEqual(daysAgo(5));
    });

    it('is a cycle after the last payout when that is later', () => {
      expect(
        nextPayoutAllowedAt(rules({ minTradingDays: 5, cycleDays: 14 }), daysAgo(30), daysAgo(3)),
      ).toEqual(new Date(daysAgo(3).getTime() + 14 * DAY_MS));
    });

    it('stays the trading days after funding when that is later than a cycle after the last payout', () => {
      // Funded again after a suspension: the trading days restart from the new funding.
      expect(
        nextPayoutAllowedAt(rules({ minTradingDays: 5, cycleDays: 2 }), daysAgo(1), daysAgo(20)),
      ).toEqual(new Date(daysAgo(1).getTime() + 5 * DAY_MS));
    });
  });

  describe('requiresSecondApproval', () => {
    it('needs a second approver only above the four-eyes amount', () => {
      const fourEyes = rules({ fourEyesAbove: 250_000 });
      expect(requiresSecondApproval(fourEyes, 249_999)).toBe(false);
      expect(requiresSecondApproval(fourEyes, 250_000)).toBe(false);
      expect(requiresSecondApproval(fourEyes, 250_001)).toBe(true);
    });
  });

  describe('decidePayout', () => {
    it("pays the trader's share of the unpaid profit to an eligible account", () => {
      expect(decidePayout(rules(), facts())).toEqual({
        eligible: true,
        reasons: [],
        amountAvailable: 400_000,
        profit: 500_000,
        traderAmount: 400_000,
        split: {
          profit: 500_000,
          traderSharePercent: '80',
          traderAmount: 400_000,
          firmAmount: 100_000,
          withheldByCap: 0,
        },
        nextEligibleAt: null,
        isFirstPayout: true,
      });
    });

    describe('funded accounts only', () => {
      it('refuses a suspended account as suspended, not as unfunded', () => {
        expect(decidePayout(rules(), facts({ accountStatus: 'suspended' })).reasons).toEqual([
          'account_suspended',
        ]);
      });

      it.each<AccountStatus>(['provisioning', 'active', 'passed', 'failed', 'breached', 'closed', 'on_hold'])(
        'refuses a %s account as not funded',
        (accountStatus) => {
          const decision = decidePayout(rules(), facts({ accountStatus }));
          expect(decision.eligible).toBe(false);
          expect(decision.reasons).toEqual(['account_not_funded']);
          expect(decision.amountAvailable).toBe(0);
        },
      );
    });

    it.each([null, 'pending', 'rejected'])('requires verified KYC (status %s refused)', (kycStatus) => {
      expect(decidePayout(rules(), facts({ kycStatus })).reasons).toEqual(['kyc_required']);
    });

    it.each(['flagged', 'blocked'] as const)('waits for fraud review of a %s customer', (fraudStatus) => {
      expect(decidePayout(rules(), facts({ fraudStatus })).reasons).toEqual(['fraud_review']);
    });

    it('needs a reported balance, and then says nothing about the profit', () => {
      const decision = decidePayout(rules(), facts({ reportedBalance: null }));
      expect(decision.reasons).toEqual(['no_balance_reported']);
      expect(decision.profit).toBe(0);
      expect(decision.amountAvailable).toBe(0);
    });

    describe('minimum trading days', () => {
      it('is too early before the trading days after funding, and says when', () => {
        const decision = decidePayout(rules({ minTradingDays: 5 }), facts({ fundedAt: daysAgo(4) }));
        expect(decision.reasons).toEqual(['too_early']);
        expect(decision.nextEligibleAt).toEqual(new Date(NOW.getTime() + DAY_MS));
        expect(decision.amountAvailable).toBe(0);
        expect(decision.split.traderAmount).toBe(400_000);
      });

      it('allows a payout exactly when the trading days are done', () => {
        const decision = decidePayout(rules({ minTradingDays: 5 }), facts({ fundedAt: daysAgo(5) }));
        expect(decision.eligible).toBe(true);
        expect(decision.nextEligibleAt).toBeNull();
      });
    });

    describe('cycle length', () => {
      const paid = (requestedDaysAgo: number, amount = 100_000) => ({
        requestedAt: daysAgo(requestedDaysAgo),
        amount,
        profitConsumed: amount * 1.25,
      });

      it('is too early within a cycle of the last payout', () => {
        const decision = decidePayout(
          rules({ cycleDays: 14 }),
          facts({ fundedAt: daysAgo(60), livePayouts: [paid(13), paid(40)] }),
        );
        expect(decision.reasons).toEqual(['too_early']);
        expect(decision.nextEligibleAt).toEqual(new Date(NOW.getTime() + DAY_MS));
        expect(decision.isFirstPayout).toBe(false);
      });

      it('allows the next payout a full cycle after the last one, from the profit not yet paid', () => {
        const decision = decidePayout(
          rules({ cycleDays: 14 }),
          facts({ fundedAt: daysAgo(60), livePayouts: [paid(15), paid(40)], paidOutTotal: 200_000 }),
        );
        expect(decision.eligible).toBe(true);
        // 500,000 reported profit less 250,000 consumed by the two payouts, 80% to the trader.
        expect(decision.profit).toBe(250_000);
        expect(decision.amountAvailable).toBe(200_000);
        expect(decision.isFirstPayout).toBe(false);
      });

      it("counts a payout exactly a cycle ago against the cycle's cap", () => {
        const decision = decidePayout(
          rules({ cycleDays: 14, capPerCycle: 100_000 }),
          facts({ fundedAt: daysAgo(60), livePayouts: [paid(14, 100_000)], paidOutTotal: 100_000 }),
        );
        expect(decision.reasons).toEqual(['cap_reached']);
        expect(decision.nextEligibleAt).toBeNull();
      });
    });

    describe('profit and minimum amount', () => {
      it('has no profit when the balance is at the starting balance', () => {
        const decision = decidePayout(rules(), facts({ reportedBalance: STARTING_BALANCE }));
        expect(decision.reasons).toEqual(['no_profit']);
        expect(decision.split.traderSharePercent).toBe('80');
      });

      it('has no profit, never a negative one, below the starting balance', () => {
        const decision = decidePayout(rules(), facts({ reportedBalance: STARTING_BALANCE - 300_000 }));
        expect(decision.reasons).toEqual(['no_profit']);
        expect(decision.profit).toBe(0);
        expect(decision.traderAmount).toBe(0);
      });

      it('has no profit left once live payouts consumed it all', () => {
        const decision = decidePayout(
          rules(),
          facts({
            fundedAt: daysAgo(60),
            livePayouts: [{ requestedAt: daysAgo(30), amount: 400_000, profitConsumed: 500_000 }],
          }),
        );
        expect(decision.reasons).toEqual(['no_profit']);
      });

      it("refuses a trader's share below the minimum payout and pays one at it", () => {
        expect(
          decidePayout(
            rules({ minimumPayout: 10_000 }),
            facts({ reportedBalance: STARTING_BALANCE + 12_499 }),
          ),
        ).toMatchObject({ reasons: ['below_minimum'], amountAvailable: 0, traderAmount: 9_999 });
        expect(
          decidePayout(
            rules({ minimumPayout: 10_000 }),
            facts({ reportedBalance: STARTING_BALANCE + 12_500 }),
          ),
        ).toMatchObject({ eligible: true, amountAvailable: 10_000 });
      });
    });

    describe('cap per cycle', () => {
      it('pays up to the cap and reports what it withholds', () => {
        const decision = decidePayout(
          rules({ capPerCycle: 300_000 }),
          facts({ reportedBalance: STARTING_BALANCE + 500_000 }),
        );
        expect(decision.eligible).toBe(true);
        expect(decision.amountAvailable).toBe(300_000);
        expect(decision.split.withheldByCap).toBe(100_000);
        expect(decision.traderAmount).toBe(400_000);
      });

      it('has no cap when the rules set none', () => {
        const decision = decidePayout(
          rules({ capPerCycle: null }),
          facts({ reportedBalance: STARTING_BALANCE + 5_000_000 }),
        );
        // 1,250,000 of profit at 80% reaches the $10,000 tier; the other 3,750,000 goes at 90%.
        expect(decision.amountAvailable).toBe(4_375_000);
        expect(decision.split.withheldByCap).toBe(0);
      });
    });

    describe('split', () => {
      it('pays the higher share once the trader has been paid past the tier', () => {
        const decision = decidePayout(rules(), facts({ paidOutTotal: 1_000_000 }));
        expect(decision.split).toMatchObject({
          traderSharePercent: '90',
          traderAmount: 450_000,
          firmAmount: 50_000,
        });
      });

      it('splits the profit that crosses a tier at both shares and shows the new one', () => {
        // 100,000 more to the trader reaches the tier: 125,000 of profit at 80%, the other 375,000 at 90%.
        const decision = decidePayout(rules({ capPerCycle: null }), facts({ paidOutTotal: 900_000 }));
        expect(decision.split).toMatchObject({
          traderSharePercent: '90',
          traderAmount: 437_500,
          firmAmount: 62_500,
        });
      });

      it('shows the first tier when there is no profit to split', () => {
        const decision = decidePayout(
          rules({ splitTiers: [{ fromCumulative: 0, traderSharePercent: '85' }] }),
          facts({ reportedBalance: STARTING_BALANCE, paidOutTotal: 2_000_000 }),
        );
        expect(decision.split.traderSharePercent).toBe('85');
      });
    });

    it('lists every reason at once, in order, and offers nothing', () => {
      const decision = decidePayout(
        rules({ minTradingDays: 5 }),
        facts({
          accountStatus: 'suspended',
          kycStatus: null,
          fraudStatus: 'flagged',
          fundedAt: daysAgo(1),
          reportedBalance: STARTING_BALANCE + 1_000,
        }),
      );
      expect(decision.reasons).toEqual([
        'account_suspended',
        'kyc_required',
        'fraud_review',
        'too_early',
        'below_minimum',
      ]);
      expect(decision.eligible).toBe(false);
      expect(decision.amountAvailable).toBe(0);
    });
  });
});
