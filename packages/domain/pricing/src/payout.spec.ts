import fc from 'fast-check';
import { CurrencyMismatchError, InvalidDecimalError, InvalidPayoutConfigError } from './errors';
import { type Money, money } from './money';
import { type PayoutSplitInput, type PayoutSplitTier, computePayoutSplit } from './payout';

const usd = (amount: number): Money => money(amount, 'USD');
const eightyThenNinety: PayoutSplitTier[] = [
  { fromCumulative: usd(0), traderSharePercent: '80' },
  { fromCumulative: usd(1_000_000), traderSharePercent: '90' }, // 90/10 once $10,000 has been paid out
];
const base: PayoutSplitInput = {
  profit: usd(100_000),
  splitTiers: eightyThenNinety,
  cumulativePaidToTrader: usd(0),
  isFirstPayout: false,
};

describe('computePayoutSplit', () => {
  it('splits 80/20 inside the first tier', () => {
    const split = computePayoutSplit(base);
    expect(split).toEqual({
      status: 'payable',
      message: 'pay 800.00 USD',
      traderAmount: usd(80_000),
      firmAmount: usd(20_000),
      segments: [
        {
          tierIndex: 0,
          traderSharePercent: '80',
          profit: usd(100_000),
          traderAmount: usd(80_000),
          firmAmount: usd(20_000),
        },
      ],
      withheldByCap: usd(0),
      payableToTrader: usd(80_000),
      feeRefund: usd(0),
      totalPayout: usd(80_000),
    });
  });

  it('splits a payout that crosses a tier boundary at each side of it', () => {
    // $9,500 paid so far; $2,000 profit: $625 of profit brings the trader to $10,000 at 80 %,
    // the other $1,375 is split 90/10.
    const split = computePayoutSplit({ ...base, profit: usd(200_000), cumulativePaidToTrader: usd(950_000) });
    expect(split.traderAmount).toEqual(usd(50_000 + 123_750));
    expect(split.firmAmount).toEqual(usd(12_500 + 13_750));
    expect(split.segments).toEqual([
      {
        tierIndex: 0,
        traderSharePercent: '80',
        profit: usd(62_500),
        traderAmount: usd(50_000),
        firmAmount: usd(12_500),
      },
      {
        tierIndex: 1,
        traderSharePercent: '90',
        profit: usd(137_500),
        traderAmount: usd(123_750),
        firmAmount: usd(13_750),
      },
    ]);
  });

  it('starts in the tier the cumulative payouts have reached', () => {
    const split = computePayoutSplit({ ...base, cumulativePaidToTrader: usd(5_000_000) });
    expect(split.traderAmount).toEqual(usd(90_000));
    expect(split.segments.map((segment) => segment.tierIndex)).toEqual([1]);
    // exactly on the boundary: the new tier applies
    expect(computePayoutSplit({ ...base, cumulativePaidToTrader: usd(1_000_000) }).traderAmount).toEqual(
      usd(90_000),
    );
  });

  it('can cross several boundaries in one payout', () => {
    const tiers: PayoutSplitTier[] = [
      { fromCumulative: usd(0), traderSharePercent: '50' },
      { fromCumulative: usd(100), traderSharePercent: '80' },
      { fromCumulative: usd(200), traderSharePercent: '100' },
    ];
    // 200 of profit at 50 % brings the trader to 100, 125 at 80 % to 200, the last 175 goes at 100 %
    const split = computePayoutSplit({ ...base, splitTiers: tiers, profit: usd(500) });
    expect(
      split.segments.map((segment) => [segment.profit.amountMinor, segment.traderAmount.amountMinor]),
    ).toEqual([
      [200, 100],
      [125, 100],
      [175, 175],
    ]);
    expect(split.traderAmount).toEqual(usd(375));
  });

  it('rounds the split by largest remainder so trader and firm add up to the profit', () => {
    const split = computePayoutSplit({
      ...base,
      profit: usd(1001),
      splitTiers: [{ fromCumulative: usd(0), traderSharePercent: '85' }],
    });
    // 850.85 / 150.15 → 851 / 150
    expect([split.traderAmount.amountMinor, split.firmAmount.amountMinor]).toEqual([851, 150]);
  });

  it('caps the trader payout per cycle and reports what is withheld', () => {
    const split = computePayoutSplit({ ...base, capPerCycle: usd(100_000), paidThisCycle: usd(50_000) });
    expect(split).toMatchObject({
      status: 'payable',
      payableToTrader: usd(50_000),
      withheldByCap: usd(30_000),
      traderAmount: usd(80_000),
    });
    const full = computePayoutSplit({ ...base, capPerCycle: usd(100_000), paidThisCycle: usd(100_000) });
    expect(full).toMatchObject({
      status: 'cap_reached',
      message: 'the cycle cap of 1000.00 USD is reached (1000.00 USD paid this cycle)',
      payableToTrader: usd(0),
      withheldByCap: usd(80_000),
      totalPayout: usd(0),
    });
    expect(computePayoutSplit({ ...base, capPerCycle: null }).payableToTrader).toEqual(usd(80_000));
  });

  it('pays nothing below the minimum payout', () => {
    const split = computePayoutSplit({
      ...base,
      profit: usd(5_000),
      minimumPayout: usd(10_000),
      isFirstPayout: true,
      evaluationFeePaid: usd(29_900),
    });
    expect(split).toMatchObject({
      status: 'below_minimum',
      message: 'trader amount 40.00 USD is below the minimum payout of 100.00 USD',
      traderAmount: usd(4_000),
      payableToTrader: usd(0),
      feeRefund: usd(0),
      totalPayout: usd(0),
    });
  });

  it('refunds the evaluation fee with the first payout only', () => {
    const first = computePayoutSplit({ ...base, isFirstPayout: true, evaluationFeePaid: usd(29_900) });
    expect(first).toMatchObject({
      feeRefund: usd(29_900),
      totalPayout: usd(109_900),
      message: 'pay 1099.00 USD',
    });
    const later = computePayoutSplit({ ...base, isFirstPayout: false, evaluationFeePaid: usd(29_900) });
    expect(later).toMatchObject({ feeRefund: usd(0), totalPayout: usd(80_000) });
  });

  it('has nothing to split without profit', () => {
    for (const profit of [0, -5000]) {
      expect(computePayoutSplit({ ...base, profit: usd(profit) })).toMatchObject({
        status: 'no_profit',
        traderAmount: usd(0),
        firmAmount: usd(0),
        segments: [],
        totalPayout: usd(0),
      });
    }
    expect(computePayoutSplit({ ...base, profit: usd(-5000) }).message).toBe(
      'no profit to split (-50.00 USD)',
    );
  });

  it('handles a 0 % tier', () => {
    const split = computePayoutSplit({
      ...base,
      splitTiers: [
        { fromCumulative: usd(0), traderSharePercent: '0' },
        { fromCumulative: usd(10), traderSharePercent: '50' },
      ],
    });
    expect(split.traderAmount).toEqual(usd(0));
  });

  it('refuses bad configurations', () => {
    const run = (overrides: Partial<PayoutSplitInput>) => () => computePayoutSplit({ ...base, ...overrides });
    expect(run({ splitTiers: [] })).toThrow('a payout split needs at least one tier');
    expect(run({ splitTiers: [{ fromCumulative: usd(5), traderSharePercent: '80' }] })).toThrow(
      'the first tier must start at 0, not 5',
    );
    expect(
      run({ splitTiers: [eightyThenNinety[0], { fromCumulative: usd(0), traderSharePercent: '90' }] }),
    ).toThrow('tier 2 must start above tier 1');
    expect(run({ splitTiers: [{ fromCumulative: usd(0), traderSharePercent: '101' }] })).toThrow(
      'tier 1 trader share 101% must be between 0 and 100',
    );
    expect(run({ splitTiers: [{ fromCumulative: usd(0), traderSharePercent: '-1' }] })).toThrow(
      InvalidPayoutConfigError,
    );
    expect(run({ splitTiers: [{ fromCumulative: usd(0), traderSharePercent: '80%' }] })).toThrow(
      InvalidDecimalError,
    );
    expect(run({ splitTiers: [{ fromCumulative: money(0, 'EUR'), traderSharePercent: '80' }] })).toThrow(
      CurrencyMismatchError,
    );
    expect(run({ splitTiers: [null as unknown as PayoutSplitTier] })).toThrow(
      'tier 1 fromCumulative is required',
    );
    expect(run({ cumulativePaidToTrader: undefined as unknown as Money })).toThrow(
      'cumulativePaidToTrader is required',
    );
    expect(run({ cumulativePaidToTrader: usd(-1) })).toThrow(
      'cumulativePaidToTrader -1 USD must be zero or more',
    );
    expect(run({ minimumPayout: money(1, 'EUR') })).toThrow(CurrencyMismatchError);
    expect(run({ capPerCycle: usd(-1) })).toThrow(InvalidPayoutConfigError);
    expect(run({ isFirstPayout: 'yes' as unknown as boolean })).toThrow(
      'isFirstPayout "yes" must be a boolean',
    );
  });
});

describe('computePayoutSplit properties', () => {
  it('matches the exact two-tier split within half a unit, with trader + firm = profit', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10 ** 10 }),
        fc.integer({ min: 0, max: 10 ** 8 }),
        fc.integer({ min: 1, max: 10 ** 8 }),
        fc.integer({ min: 1, max: 100 }),
        fc.integer({ min: 0, max: 100 }),
        (profit, cumulative, boundaryAbove, a, b) => {
          const boundary = cumulative + boundaryAbove; // the trader starts in the first tier
          const split = computePayoutSplit({
            profit: usd(profit),
            cumulativePaidToTrader: usd(cumulative),
            isFirstPayout: false,
            splitTiers: [
              { fromCumulative: usd(0), traderSharePercent: String(a) },
              { fromCumulative: usd(boundary), traderSharePercent: String(b) },
            ],
          });
          const [P, C, B, A, Bs] = [profit, cumulative, boundary, a, b].map(BigInt);
          const staysInFirst = 100n * C + P * A <= 100n * B;
          const numerator = staysInFirst ? P * A : (B - C) * 100n * A + (P * A - 100n * (B - C)) * Bs;
          const denominator = staysInFirst ? 100n : 100n * A;
          const error = BigInt(split.traderAmount.amountMinor) * denominator - numerator;
          expect(2n * (error < 0n ? -error : error) <= denominator).toBe(true);
          expect(split.traderAmount.amountMinor + split.firmAmount.amountMinor).toBe(profit);
          expect(split.firmAmount.amountMinor).toBeGreaterThanOrEqual(0);
          const segmentTotal = split.segments.reduce(
            (acc, segment) => [
              acc[0] + segment.traderAmount.amountMinor,
              acc[1] + segment.firmAmount.amountMinor,
            ],
            [0, 0],
          );
          expect(segmentTotal).toEqual([split.traderAmount.amountMinor, split.firmAmount.amountMinor]);
          for (const segment of split.segments) {
            expect(segment.traderAmount.amountMinor).toBeGreaterThanOrEqual(0);
            expect(segment.firmAmount.amountMinor).toBeGreaterThanOrEqual(0);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('never pays more than the trader share or the room under the cap', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -1000, max: 10 ** 9 }),
        fc.integer({ min: 0, max: 10 ** 8 }),
        fc.integer({ min: 0, max: 10 ** 8 }),
        fc.integer({ min: 0, max: 10 ** 6 }),
        (profit, cap, paidThisCycle, minimum) => {
          const split = computePayoutSplit({
            ...base,
            profit: usd(profit),
            capPerCycle: usd(cap),
            paidThisCycle: usd(paidThisCycle),
            minimumPayout: usd(minimum),
          });
          const paid = split.payableToTrader.amountMinor;
          expect(paid).toBeLessThanOrEqual(split.traderAmount.amountMinor);
          expect(paid).toBeLessThanOrEqual(Math.max(cap - paidThisCycle, 0));
          expect(paid === 0 || paid >= minimum).toBe(true);
          expect(paid + split.withheldByCap.amountMinor <= split.traderAmount.amountMinor).toBe(true);
        },
      ),
    );
  });
});
