import fc from 'fast-check';
import { type Coupon, type CouponContext, type DiscountableLine, applyCoupon, assertCoupon } from './coupon';
import type { CurrencyCode } from './currency';
import {
  CurrencyMismatchError,
  InvalidAmountError,
  InvalidCouponError,
  InvalidDateError,
  InvalidDecimalError,
  NegativeQuantityError,
  UnknownCurrencyError,
} from './errors';
import { type Money, money } from './money';

const usd = (amount: number): Money => money(amount, 'USD');
const now = new Date('2026-11-21T12:00:00Z');
const context: CouponContext = {
  now,
  currency: 'USD',
  redemptionsSoFar: 0,
  customerRedemptions: 0,
  isFirstPurchase: true,
};
const twentyOff: Coupon = { id: 'TWENTY', kind: 'percent_off', percentOff: '20', duration: { type: 'once' } };
const tenDollarsOff: Coupon = {
  id: 'TENOFF',
  kind: 'amount_off',
  amountOff: { USD: 1000, EUR: 900 },
  duration: { type: 'forever' },
};
const lines: DiscountableLine[] = [
  { id: 'l1', productId: 'eval_50k', amount: usd(29900) },
  { id: 'l2', productId: 'reset', amount: usd(9900) },
];

function applied<T extends ReturnType<typeof applyCoupon>>(result: T): Extract<T, { applies: true }> {
  if (!result.applies) throw new Error(`expected the coupon to apply: ${result.message}`);
  return result as Extract<T, { applies: true }>;
}

function rejected<T extends ReturnType<typeof applyCoupon>>(result: T): Extract<T, { applies: false }> {
  if (result.applies) throw new Error('expected the coupon to be rejected');
  return result as Extract<T, { applies: false }>;
}

describe('applyCoupon: percent off', () => {
  it('discounts the eligible lines and spreads the discount with allocate', () => {
    const result = applied(applyCoupon(twentyOff, lines, context));
    expect(result.discount).toEqual(usd(7960));
    expect(result.remainingPeriods).toBe(0);
    expect(
      result.lines.map((line) => [line.id, line.discount.amountMinor, line.amountAfterDiscount.amountMinor]),
    ).toEqual([
      ['l1', 5980, 23920],
      ['l2', 1980, 7920],
    ]);
  });

  it('keeps extra line fields', () => {
    const withExtra = [{ ...lines[0], sku: 'E50' }];
    expect(applied(applyCoupon(twentyOff, withExtra, context)).lines[0].sku).toBe('E50');
  });

  it('rounds the discount once, with the coupon rounding mode', () => {
    const odd = [{ id: 'a', amount: usd(1001) }];
    const half: Coupon = { ...twentyOff, percentOff: '50' };
    expect(applied(applyCoupon(half, odd, context)).discount).toEqual(usd(500));
    expect(applied(applyCoupon({ ...half, rounding: 'half_up' }, odd, context)).discount).toEqual(usd(501));
  });

  it('caps the discount per currency', () => {
    const capped: Coupon = { ...twentyOff, maxDiscount: { USD: 5000 } };
    const result = applied(applyCoupon(capped, lines, context));
    expect(result.discount).toEqual(usd(5000));
    expect(result.lines.reduce((acc, line) => acc + line.discount.amountMinor, 0)).toBe(5000);
  });

  it('applies when the order reaches the minimum', () => {
    const result = applied(applyCoupon({ ...twentyOff, minimumOrder: { USD: 39800 } }, lines, context));
    expect(result.discount).toEqual(usd(7960));
  });

  it('only discounts the products it is for', () => {
    const resetsOnly: Coupon = { ...twentyOff, productIds: ['reset'] };
    const result = applied(applyCoupon(resetsOnly, lines, context));
    expect(result.lines.map((line) => line.discount.amountMinor)).toEqual([0, 1980]);
  });

  it('never discounts credit lines', () => {
    const withCredit = [...lines, { id: 'credit', amount: usd(-5000) }];
    const result = applied(applyCoupon(twentyOff, withCredit, context));
    expect(result.lines[2]).toMatchObject({ discount: usd(0), amountAfterDiscount: usd(-5000) });
  });
});

describe('applyCoupon: amount off', () => {
  it('takes the amount in the order currency off, spread by line amounts', () => {
    const result = applied(applyCoupon(tenDollarsOff, lines, context));
    expect(result.discount).toEqual(usd(1000));
    expect(result.lines.map((line) => line.discount.amountMinor)).toEqual([751, 249]);
    expect(result.remainingPeriods).toBeNull();
  });

  it('never pushes the order below zero', () => {
    const small = [
      { id: 'a', amount: usd(300) },
      { id: 'b', amount: usd(200) },
    ];
    const result = applied(applyCoupon(tenDollarsOff, small, context));
    expect(result.discount).toEqual(usd(500));
    expect(result.lines.map((line) => line.amountAfterDiscount.amountMinor)).toEqual([0, 0]);
  });

  it('stacks on an earlier discount, discounting what is left', () => {
    const first = applied(applyCoupon(twentyOff, lines, context));
    const second = applied(applyCoupon(tenDollarsOff, first.lines, { ...context, redemptionsSoFar: 3 }));
    expect(
      second.lines.map((line) => [line.discount.amountMinor, line.amountAfterDiscount.amountMinor]),
    ).toEqual([
      [5980 + 751, 23920 - 751],
      [1980 + 249, 7920 - 249],
    ]);
  });

  it('works in zero-decimal currencies', () => {
    const yen: Coupon = { ...tenDollarsOff, amountOff: { JPY: 1000 } };
    const result = applied(
      applyCoupon(yen, [{ id: 'a', amount: money(45000, 'JPY') }], { ...context, currency: 'JPY' }),
    );
    expect(result.lines[0].amountAfterDiscount).toEqual(money(44000, 'JPY'));
  });

  it('applies with a zero discount when the eligible lines are already free', () => {
    const result = applied(applyCoupon(tenDollarsOff, [{ id: 'a', amount: usd(0) }], context));
    expect(result.discount).toEqual(usd(0));
  });
});

describe('applyCoupon: why a coupon does not apply', () => {
  it.each<[string, Coupon, Partial<CouponContext>, string, string]>([
    [
      'expired',
      { ...twentyOff, expiresAt: new Date('2026-11-21T12:00:00Z') },
      {},
      'expired',
      'coupon TWENTY: expired at 2026-11-21T12:00:00.000Z',
    ],
    [
      'used up',
      { ...twentyOff, maxRedemptions: 100 },
      { redemptionsSoFar: 100 },
      'redemption_limit_reached',
      'coupon TWENTY: all 100 redemptions have been used',
    ],
    [
      'used by this customer',
      { ...twentyOff, maxRedemptionsPerCustomer: 1 },
      { customerRedemptions: 1 },
      'customer_limit_reached',
      'coupon TWENTY: this customer has already redeemed it 1 time(s) (limit 1)',
    ],
    [
      'for first purchases',
      { ...twentyOff, firstPurchaseOnly: true },
      { isFirstPurchase: false },
      'first_purchase_only',
      'coupon TWENTY: is valid on a first purchase only',
    ],
    [
      'capped in another currency',
      { ...twentyOff, maxDiscount: { EUR: 100 } },
      {},
      'wrong_currency',
      'coupon TWENTY: the maximum discount is not defined in USD',
    ],
    [
      'with a minimum in another currency',
      { ...twentyOff, minimumOrder: { EUR: 100 } },
      {},
      'wrong_currency',
      'coupon TWENTY: the minimum order is not defined in USD',
    ],
    [
      'for other products',
      { ...twentyOff, productIds: ['instant_100k'] },
      {},
      'not_for_product',
      'coupon TWENTY: applies only to products instant_100k',
    ],
    [
      'above the order',
      { ...twentyOff, minimumOrder: { USD: 50000 } },
      {},
      'below_minimum',
      'coupon TWENTY: needs an order of at least 500.00 USD, got 398.00 USD',
    ],
    [
      'used once already',
      twentyOff,
      { periodIndex: 1 },
      'duration_ended',
      'coupon TWENTY: applied once and period 1 is after it',
    ],
    [
      'past its repeating periods',
      { ...twentyOff, duration: { type: 'repeating', periods: 3 } },
      { periodIndex: 3 },
      'duration_ended',
      'coupon TWENTY: lasted 3 period(s) and period 3 is after them',
    ],
  ])('is rejected when %s', (_, coupon, overrides, reason, message) => {
    const result = rejected(applyCoupon(coupon, lines, { ...context, ...overrides }));
    expect(result).toMatchObject({ applies: false, couponId: coupon.id, reason, message });
    expect(result.lines.map((line) => line.discount.amountMinor)).toEqual([0, 0]);
    expect(result.lines.map((line) => line.amountAfterDiscount)).toEqual(lines.map((line) => line.amount));
  });

  it('still applies right before expiry, and on renewals after expiry', () => {
    const expiring: Coupon = {
      ...twentyOff,
      duration: { type: 'forever' },
      expiresAt: new Date('2026-11-21T12:00:01Z'),
    };
    expect(applyCoupon(expiring, lines, context).applies).toBe(true);
    const later = {
      ...context,
      now: new Date('2027-06-01T00:00:00Z'),
      periodIndex: 7,
      isFirstPurchase: false,
    };
    expect(
      applyCoupon({ ...expiring, firstPurchaseOnly: true, maxRedemptions: 1 }, lines, {
        ...later,
        redemptionsSoFar: 1,
      }),
    ).toMatchObject({ applies: true, remainingPeriods: null });
  });

  it('counts the remaining periods of a repeating coupon', () => {
    const threeMonths: Coupon = { ...twentyOff, duration: { type: 'repeating', periods: 3 } };
    expect(applyCoupon(threeMonths, lines, { ...context, periodIndex: 0 })).toMatchObject({
      remainingPeriods: 2,
    });
    expect(applyCoupon(threeMonths, lines, { ...context, periodIndex: 2 })).toMatchObject({
      remainingPeriods: 0,
    });
  });

  it('checks redemption rules before product and amount rules', () => {
    const coupon: Coupon = { ...twentyOff, expiresAt: new Date('2020-01-01T00:00:00Z'), productIds: ['x'] };
    expect(rejected(applyCoupon(coupon, lines, context)).reason).toBe('expired');
  });
});

describe('applyCoupon: bad input', () => {
  it.each<[string, unknown, RegExp]>([
    ['a non-object', null, /coupon null is not an object/],
    ['no id', { ...twentyOff, id: '' }, /coupon id must be a non-empty string/],
    ['a zero percentage', { ...twentyOff, percentOff: '0' }, /must be more than 0 and at most 100/],
    ['more than 100 %', { ...twentyOff, percentOff: '100.01' }, /must be more than 0 and at most 100/],
    [
      'an unknown kind',
      { ...twentyOff, kind: 'free_shipping' },
      /kind "free_shipping" must be percent_off or amount_off/,
    ],
    ['no amount map', { ...tenDollarsOff, amountOff: 5 }, /amountOff must map currencies/],
    [
      'a bad duration',
      { ...twentyOff, duration: { type: 'sometimes' } },
      /duration "sometimes" must be once/,
    ],
    ['no duration', { ...twentyOff, duration: undefined }, /duration undefined must be once/],
    [
      'a bad repeat count',
      { ...twentyOff, duration: { type: 'repeating', periods: 0 } },
      /positive integer of periods/,
    ],
    ['a bad limit', { ...twentyOff, maxRedemptions: -1 }, /maxRedemptions -1 must be a positive integer/],
    [
      'a bad customer limit',
      { ...twentyOff, maxRedemptionsPerCustomer: 1.5 },
      /maxRedemptionsPerCustomer 1.5/,
    ],
    ['bad product ids', { ...twentyOff, productIds: 'eval' }, /productIds must be a list/],
    ['a bad rounding', { ...twentyOff, rounding: 'up' }, /unknown rounding mode/],
  ])('refuses a coupon with %s', (_, coupon, message) => {
    expect(() => applyCoupon(coupon as Coupon, lines, context)).toThrow(message);
    expect(() => assertCoupon(coupon as Coupon)).toThrow(message);
  });

  it('refuses bad percentages and expiry dates with their own errors', () => {
    expect(() => assertCoupon({ ...twentyOff, percentOff: '20%' })).toThrow(InvalidDecimalError);
    expect(() => assertCoupon({ ...twentyOff, expiresAt: new Date('nope') })).toThrow(InvalidDateError);
    expect(() => assertCoupon(twentyOff)).not.toThrow();
  });

  it('refuses bad contexts', () => {
    expect(() => applyCoupon(twentyOff, lines, null as unknown as CouponContext)).toThrow(InvalidCouponError);
    expect(() => applyCoupon(twentyOff, lines, { ...context, now: new Date(Number.NaN) })).toThrow(
      InvalidDateError,
    );
    expect(() => applyCoupon(twentyOff, lines, { ...context, currency: 'XX' as CurrencyCode })).toThrow(
      UnknownCurrencyError,
    );
    expect(() => applyCoupon(twentyOff, lines, { ...context, redemptionsSoFar: -1 })).toThrow(
      NegativeQuantityError,
    );
    expect(() => applyCoupon(twentyOff, lines, { ...context, customerRedemptions: -1 })).toThrow(
      NegativeQuantityError,
    );
    expect(() => applyCoupon(twentyOff, lines, { ...context, periodIndex: -1 })).toThrow(
      NegativeQuantityError,
    );
    expect(() =>
      applyCoupon(twentyOff, lines, { ...context, isFirstPurchase: 'yes' as unknown as boolean }),
    ).toThrow('isFirstPurchase "yes" must be a boolean');
  });

  it('refuses lines in another currency or with impossible discounts', () => {
    expect(() => applyCoupon(twentyOff, [{ id: 'e', amount: money(100, 'EUR') }], context)).toThrow(
      CurrencyMismatchError,
    );
    expect(() =>
      applyCoupon(twentyOff, [{ id: 'a', amount: usd(100), discount: money(1, 'EUR') }], context),
    ).toThrow(CurrencyMismatchError);
    expect(() =>
      applyCoupon(twentyOff, [{ id: 'a', amount: usd(100), discount: usd(101) }], context),
    ).toThrow('line a discount 101 must be between 0 and the line amount 100');
    expect(() => applyCoupon(twentyOff, [{ id: 'a', amount: usd(100), discount: usd(-1) }], context)).toThrow(
      InvalidAmountError,
    );
    expect(() => applyCoupon(twentyOff, [null as unknown as DiscountableLine], context)).toThrow(
      'line null is not an object',
    );
    expect(() =>
      applyCoupon(twentyOff, [{ id: 'a', amount: { amountMinor: 0.5, currency: 'USD' } }], context),
    ).toThrow(InvalidAmountError);
  });

  it('reports a missing amount-off currency as a rejection, not an error', () => {
    const result = rejected(
      applyCoupon(tenDollarsOff, [{ id: 'g', amount: money(100, 'GBP') }], { ...context, currency: 'GBP' }),
    );
    expect(result).toMatchObject({
      reason: 'wrong_currency',
      message: 'coupon TENOFF: the amount off is not defined in GBP',
    });
  });
});

describe('applyCoupon properties', () => {
  const lineList = fc.array(
    fc.record({
      id: fc.string(),
      productId: fc.constantFrom('a', 'b', 'c'),
      amount: fc.integer({ min: -10_000, max: 10_000_000 }).map(usd),
    }),
    { minLength: 1, maxLength: 12 },
  );
  const coupon: fc.Arbitrary<Coupon> = fc.oneof(
    fc.integer({ min: 1, max: 10000 }).map((bps): Coupon => ({
      id: 'P',
      kind: 'percent_off',
      percentOff: `${Math.floor(bps / 100)}.${String(bps % 100).padStart(2, '0')}`,
      duration: { type: 'forever' },
    })),
    fc.integer({ min: 0, max: 20_000_000 }).map((USD): Coupon => ({
      id: 'A',
      kind: 'amount_off',
      amountOff: { USD },
      duration: { type: 'forever' },
    })),
  );

  it('discounts sum to the total discount, no line goes below zero, and credit lines are untouched', () => {
    fc.assert(
      fc.property(
        coupon,
        lineList,
        fc.option(fc.constantFrom(['a'], ['b', 'c']), { nil: undefined }),
        (c, ls, productIds) => {
          const result = applyCoupon({ ...c, productIds }, ls, context);
          if (!result.applies) {
            expect(result.reason).toBe('not_for_product');
            return;
          }
          const given = result.lines.reduce((acc, line) => acc + line.discount.amountMinor, 0);
          expect(given).toBe(result.discount.amountMinor);
          result.lines.forEach((line, index) => {
            expect(Number.isSafeInteger(line.discount.amountMinor)).toBe(true);
            expect(line.discount.amountMinor + line.amountAfterDiscount.amountMinor).toBe(
              ls[index].amount.amountMinor,
            );
            if (ls[index].amount.amountMinor > 0)
              expect(line.amountAfterDiscount.amountMinor).toBeGreaterThanOrEqual(0);
            else expect(line.discount.amountMinor).toBe(0);
          });
        },
      ),
      { numRuns: 500 },
    );
  });
});
