import fc from 'fast-check';
import {
  CurrencyUnavailableError,
  InvalidAmountError,
  InvalidDecimalError,
  InvalidPriceError,
  InvalidQuantityError,
  InvalidRoundingModeError,
  NegativeQuantityError,
  OverflowError,
  UnknownCurrencyError,
} from './errors';
import type { CurrencyCode } from './currency';
import { money } from './money';
import {
  type GraduatedPrice,
  type PercentagePrice,
  type Price,
  type PriceTier,
  type VolumePrice,
  assertPrice,
  priceLine,
  pricePercentageOf,
} from './price';
import type { RoundingMode } from './rounding';

const tiers: PriceTier[] = [
  { upTo: 10, unitAmount: { USD: 500 } },
  { upTo: 100, unitAmount: { USD: 400 }, flatAmount: { USD: 1000 } },
  { upTo: null, unitAmount: { USD: 300 } },
];
const graduated: GraduatedPrice = { model: 'graduated', tiers };
const volume: VolumePrice = { model: 'volume', tiers };
const usd = (amount: number) => money(amount, 'USD');

describe('priceLine: flat', () => {
  it('charges the amount whatever the quantity', () => {
    const line = priceLine({ model: 'flat', amount: { USD: 29900, EUR: 27900 } }, 1, 'USD');
    expect(line).toEqual({
      model: 'flat',
      quantity: 1,
      freeQuantity: 0,
      billableQuantity: 1,
      amount: usd(29900),
      breakdown: [{ description: 'Flat fee', quantity: 1, unitAmount: null, amount: usd(29900), tier: null }],
    });
    expect(priceLine({ model: 'flat', amount: { EUR: 27900 } }, 0, 'EUR').amount).toEqual(
      money(27900, 'EUR'),
    );
  });
});

describe('priceLine: per unit', () => {
  it('multiplies the quantity by the unit amount', () => {
    const line = priceLine({ model: 'per_unit', unitAmount: { USD: 499 } }, 12, 'USD');
    expect(line.amount).toEqual(usd(5988));
    expect(line.breakdown).toEqual([
      { description: '12 × 4.99 USD', quantity: 12, unitAmount: usd(499), amount: usd(5988), tier: null },
    ]);
  });

  it('prices zero units at zero', () => {
    expect(priceLine({ model: 'per_unit', unitAmount: { USD: 499 } }, 0, 'USD').amount).toEqual(usd(0));
    const withAllowance = priceLine(
      { model: 'per_unit', unitAmount: { USD: 499 }, freeQuantity: 10 },
      0,
      'USD',
    );
    expect(withAllowance).toMatchObject({ freeQuantity: 0, billableQuantity: 0, amount: usd(0) });
    expect(withAllowance.breakdown.map((item) => item.description)).toEqual(['0 × 4.99 USD']);
  });

  it('deducts a free allowance first', () => {
    const line = priceLine({ model: 'per_unit', unitAmount: { USD: 10 }, freeQuantity: 1000 }, 1500, 'USD');
    expect(line).toMatchObject({ freeQuantity: 1000, billableQuantity: 500, amount: usd(5000) });
    expect(line.breakdown.map((item) => item.description)).toEqual([
      '1000 of 1000 free units',
      '500 × 0.10 USD',
    ]);
    const within = priceLine({ model: 'per_unit', unitAmount: { USD: 10 }, freeQuantity: 1000 }, 300, 'USD');
    expect(within).toMatchObject({ freeQuantity: 300, billableQuantity: 0, amount: usd(0) });
    expect(within.breakdown[0].description).toBe('300 of 1000 free units');
  });

  it('prices in the requested currency of a multi-currency price', () => {
    const price: Price = { model: 'per_unit', unitAmount: { USD: 999, JPY: 1500, KWD: 3250 } };
    expect(priceLine(price, 2, 'JPY').amount).toEqual(money(3000, 'JPY'));
    expect(priceLine(price, 2, 'KWD').breakdown[0].description).toBe('2 × 3.250 KWD');
  });

  it('throws on overflow', () => {
    expect(() => priceLine({ model: 'per_unit', unitAmount: { USD: 2 ** 30 } }, 2 ** 30, 'USD')).toThrow(
      OverflowError,
    );
  });
});

describe('priceLine: package', () => {
  const price: Price = { model: 'package', packageSize: 10, packageAmount: { USD: 2500 } };

  it.each([
    [0, 0],
    [1, 1],
    [10, 1],
    [11, 2],
    [25, 3],
  ])('%i units need %i packages', (quantity, packages) => {
    const line = priceLine(price, quantity, 'USD');
    expect(line.amount).toEqual(usd(2500 * packages));
    expect(line.breakdown[0].quantity).toBe(packages);
  });

  it('describes the rounding up', () => {
    expect(priceLine(price, 25, 'USD').breakdown[0].description).toBe(
      '3 × package of 10 units at 25.00 USD (25 units, rounded up)',
    );
  });

  it('rounds up exactly near 2^53', () => {
    const huge: Price = { model: 'package', packageSize: 2, packageAmount: { USD: 1 } };
    expect(priceLine(huge, 2 ** 53 - 3, 'USD').amount).toEqual(usd(2 ** 52 - 1));
  });

  it('applies the allowance before packaging', () => {
    expect(priceLine({ ...price, freeQuantity: 5 }, 25, 'USD').amount).toEqual(usd(5000));
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses package size %p', (packageSize) => {
    expect(() => priceLine({ ...price, packageSize }, 1, 'USD')).toThrow(InvalidPriceError);
  });
});

describe('priceLine: graduated', () => {
  it('prices each unit at the tier it falls in, with tier flat fees', () => {
    const line = priceLine(graduated, 150, 'USD');
    // 10 × 5.00 + 90 × 4.00 + 10.00 flat + 50 × 3.00
    expect(line.amount).toEqual(usd(5000 + 36000 + 1000 + 15000));
    expect(line.breakdown).toEqual([
      {
        description: 'Tier 1 (units 1–10): 10 × 5.00 USD',
        quantity: 10,
        unitAmount: usd(500),
        amount: usd(5000),
        tier: { index: 0, firstUnit: 1, lastUnit: 10 },
      },
      {
        description: 'Tier 2 (units 11–100): 90 × 4.00 USD',
        quantity: 90,
        unitAmount: usd(400),
        amount: usd(36000),
        tier: { index: 1, firstUnit: 11, lastUnit: 100 },
      },
      {
        description: 'Tier 2 (units 11–100): flat fee',
        quantity: 1,
        unitAmount: null,
        amount: usd(1000),
        tier: { index: 1, firstUnit: 11, lastUnit: 100 },
      },
      {
        description: 'Tier 3 (units 101+): 50 × 3.00 USD',
        quantity: 50,
        unitAmount: usd(300),
        amount: usd(15000),
        tier: { index: 2, firstUnit: 101, lastUnit: null },
      },
    ]);
  });

  it('stops at the tier the quantity reaches', () => {
    expect(priceLine(graduated, 10, 'USD').breakdown).toHaveLength(1);
    expect(priceLine(graduated, 11, 'USD').amount).toEqual(usd(5000 + 400 + 1000));
    expect(priceLine(graduated, 0, 'USD')).toMatchObject({ amount: usd(0), breakdown: [] });
  });

  it('treats a missing unit amount as free units (a free first tier)', () => {
    const freeFirst: Price = {
      model: 'graduated',
      tiers: [{ upTo: 100 }, { upTo: null, unitAmount: { USD: 2 } }],
    };
    expect(priceLine(freeFirst, 150, 'USD').amount).toEqual(usd(100));
  });

  it('equals the sum of each unit priced at its own tier', () => {
    const unitPrice = (position: number): number => (position <= 10 ? 500 : position <= 100 ? 400 : 300);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 400 }), (quantity) => {
        let expected = quantity > 10 ? 1000 : 0;
        for (let position = 1; position <= quantity; position++) expected += unitPrice(position);
        expect(priceLine(graduated, quantity, 'USD').amount).toEqual(usd(expected));
      }),
    );
  });
});

describe('priceLine: volume', () => {
  it.each([
    [0, 0, 'none'],
    [1, 500, 'Volume tier 1 (1–10 units): all 1 × 5.00 USD'],
    [10, 5000, 'Volume tier 1 (1–10 units): all 10 × 5.00 USD'],
    [11, 4400 + 1000, 'Volume tier 2 (11–100 units): all 11 × 4.00 USD'],
    [150, 45000, 'Volume tier 3 (101+ units): all 150 × 3.00 USD'],
  ])('prices all %i units at the tier the quantity reaches', (quantity, amount, description) => {
    const line = priceLine(volume, quantity, 'USD');
    expect(line.amount).toEqual(usd(amount));
    expect(line.breakdown[0]?.description ?? 'none').toBe(description);
  });

  it('records the tier flat fee as its own step', () => {
    expect(priceLine(volume, 50, 'USD').breakdown.map((item) => item.amount.amountMinor)).toEqual([
      20000, 1000,
    ]);
  });

  it('picks the tier from the billable quantity after the allowance', () => {
    expect(priceLine({ ...volume, freeQuantity: 5 }, 15, 'USD').amount).toEqual(usd(5000));
  });
});

describe('priceLine: percentage', () => {
  const fee: PercentagePrice = {
    model: 'percentage',
    percentage: '2.9',
    minimum: { USD: 30 },
    maximum: { USD: 5000 },
  };

  it('takes the percentage of the base amount given as the quantity', () => {
    const line = priceLine(fee, 123456, 'USD');
    expect(line.amount).toEqual(usd(3580)); // 3580.224
    expect(line.breakdown[0].description).toBe('2.9% of 1234.56 USD');
  });

  it('raises to the minimum and caps at the maximum, as breakdown steps', () => {
    const small = priceLine(fee, 500, 'USD'); // 14.5 → 14
    expect(small.amount).toEqual(usd(30));
    expect(small.breakdown.map((item) => [item.description, item.amount.amountMinor])).toEqual([
      ['2.9% of 5.00 USD', 14],
      ['Raised to the minimum charge of 0.30 USD', 16],
    ]);
    const large = priceLine(fee, 1_000_000, 'USD');
    expect(large.amount).toEqual(usd(5000));
    expect(large.breakdown[1]).toMatchObject({
      description: 'Capped at the maximum charge of 50.00 USD',
      amount: usd(-24000),
    });
  });

  it('charges nothing, not the minimum, on an empty base', () => {
    expect(priceLine(fee, 0, 'USD').amount).toEqual(usd(0));
  });

  it('rounds with the price rounding mode', () => {
    expect(priceLine({ model: 'percentage', percentage: '50' }, 101, 'USD').amount).toEqual(usd(50));
    expect(
      priceLine({ model: 'percentage', percentage: '50', rounding: 'half_up' }, 101, 'USD').amount,
    ).toEqual(usd(51));
  });

  it('leaves a free amount of the base uncharged', () => {
    const price: PercentagePrice = { model: 'percentage', percentage: '1', freeAmount: { USD: 100000 } };
    const line = priceLine(price, 150000, 'USD');
    expect(line).toMatchObject({ freeQuantity: 100000, billableQuantity: 50000, amount: usd(500) });
    expect(line.breakdown[0].description).toBe('1000.00 USD of 1000.00 USD free of charge');
  });

  it('prices a Money base with pricePercentageOf', () => {
    expect(pricePercentageOf(fee, usd(123456)).amount).toEqual(usd(3580));
    expect(() => pricePercentageOf(fee, usd(-1))).toThrow(InvalidPriceError);
  });

  it('stays exact for bases beyond what fits a double product', () => {
    const line = priceLine({ model: 'percentage', percentage: '12.3456789' }, Number.MAX_SAFE_INTEGER, 'USD');
    const exact = (BigInt(Number.MAX_SAFE_INTEGER) * 123456789n + 500000000n) / 1000000000n;
    expect(BigInt(line.amount.amountMinor)).toBe(exact);
  });

  it('refuses bad percentages, bounds and modes', () => {
    expect(() => priceLine({ model: 'percentage', percentage: '-1' }, 1, 'USD')).toThrow(InvalidPriceError);
    expect(() => priceLine({ model: 'percentage', percentage: '2,9' }, 1, 'USD')).toThrow(
      InvalidDecimalError,
    );
    expect(() =>
      priceLine(
        { model: 'percentage', percentage: '1', minimum: { USD: 10 }, maximum: { USD: 5 } },
        1,
        'USD',
      ),
    ).toThrow('minimum charge 10 is above maximum charge 5 USD');
    expect(() =>
      priceLine({ model: 'percentage', percentage: '1', rounding: 'up' as RoundingMode }, 1, 'USD'),
    ).toThrow(InvalidRoundingModeError);
  });
});

describe('priceLine: bad input', () => {
  const perUnit: Price = { model: 'per_unit', unitAmount: { USD: 100 } };

  it.each<[unknown, new (...args: never[]) => Error, string]>([
    [-1, NegativeQuantityError, 'quantity -1 is negative; it must be zero or more'],
    [1.5, InvalidQuantityError, 'quantity 1.5 is not an integer'],
    [Number.NaN, InvalidQuantityError, 'quantity NaN is not a finite number'],
    [Infinity, InvalidQuantityError, 'quantity Infinity is not a finite number'],
    ['3', InvalidQuantityError, 'quantity "3" is not a finite number'],
    [2 ** 60, OverflowError, 'quantity 1152921504606847000 is outside the safe integer range'],
  ])('refuses quantity %p', (quantity, type, message) => {
    expect(() => priceLine(perUnit, quantity as number, 'USD')).toThrow(type);
    expect(() => priceLine(perUnit, quantity as number, 'USD')).toThrow(message);
  });

  it('refuses currencies the price does not define, naming those it does', () => {
    expect(() => priceLine(perUnit, 1, 'EUR')).toThrow(CurrencyUnavailableError);
    expect(() => priceLine(perUnit, 1, 'EUR')).toThrow('unit amount has no amount in EUR (defined in: USD)');
    expect(() => priceLine(graduated, 50, 'EUR')).toThrow('tier 1 unit amount has no amount in EUR');
    expect(() => priceLine(perUnit, 1, 'XYZ' as CurrencyCode)).toThrow(UnknownCurrencyError);
    expect(() => priceLine({ model: 'per_unit', unitAmount: {} }, 1, 'USD')).toThrow('(defined in: none)');
  });

  it('refuses malformed amounts', () => {
    expect(() => priceLine({ model: 'per_unit', unitAmount: { USD: 9.99 } }, 1, 'USD')).toThrow(
      InvalidAmountError,
    );
    expect(() => priceLine({ model: 'per_unit', unitAmount: { USD: -1 } }, 1, 'USD')).toThrow(
      'unit amount -1 USD is negative',
    );
    expect(() => priceLine({ model: 'per_unit', unitAmount: null as never }, 1, 'USD')).toThrow(
      'unit amount null must map currencies to minor units',
    );
    expect(() => priceLine({ ...perUnit, freeQuantity: -5 }, 1, 'USD')).toThrow(NegativeQuantityError);
  });

  it.each<[string, PriceTier[]]>([
    ['no tiers', []],
    ['a bounded last tier', [{ upTo: 10, unitAmount: { USD: 1 } }]],
    ['an unbounded middle tier', [{ upTo: null }, { upTo: null }]],
    ['decreasing bounds', [{ upTo: 10 }, { upTo: 5 }, { upTo: null }]],
    ['a zero bound', [{ upTo: 0 }, { upTo: null }]],
    ['a fractional bound', [{ upTo: 1.5 }, { upTo: null }]],
  ])('refuses tiers with %s', (_, badTiers) => {
    expect(() => priceLine({ model: 'graduated', tiers: badTiers }, 1, 'USD')).toThrow(InvalidPriceError);
    expect(() => priceLine({ model: 'volume', tiers: badTiers }, 1, 'USD')).toThrow(InvalidPriceError);
  });

  it('refuses unknown models and non-objects', () => {
    expect(() => priceLine({ model: 'tiered' } as unknown as Price, 1, 'USD')).toThrow(
      'unknown price model "tiered"',
    );
    expect(() => priceLine(null as unknown as Price, 1, 'USD')).toThrow('price null is not an object');
  });
});

describe('assertPrice', () => {
  it('accepts well-formed prices of every model', () => {
    const prices: Price[] = [
      { model: 'flat', amount: { USD: 1 } },
      { model: 'per_unit', unitAmount: { USD: 1, EUR: 1 }, freeQuantity: 10 },
      { model: 'package', packageSize: 5, packageAmount: { USD: 1 } },
      graduated,
      volume,
      {
        model: 'percentage',
        percentage: '2.9',
        minimum: { USD: 30 },
        maximum: { USD: 100 },
        freeAmount: { USD: 5 },
      },
      { model: 'percentage', percentage: '2.9' },
    ];
    for (const price of prices) expect(() => assertPrice(price)).not.toThrow();
  });

  it.each<[string, unknown, RegExp]>([
    ['not an object', 'flat', /is not an object/],
    ['an unknown model', { model: 'x' }, /unknown price model/],
    ['an empty amount map', { model: 'flat', amount: {} }, /at least one currency/],
    ['an unknown currency', { model: 'flat', amount: { XXX: 1 } }, /unknown currency "XXX"/],
    ['a negative amount', { model: 'per_unit', unitAmount: { USD: -1 } }, /is negative/],
    ['a bad allowance', { model: 'per_unit', unitAmount: { USD: 1 }, freeQuantity: 0.5 }, /free quantity/],
    ['a bad package size', { model: 'package', packageSize: 0, packageAmount: { USD: 1 } }, /package size/],
    [
      'a bad tier amount',
      { model: 'volume', tiers: [{ upTo: null, unitAmount: { USD: 0.5 } }] },
      /not an integer/,
    ],
    [
      'a bad tier flat amount',
      { model: 'volume', tiers: [{ upTo: null, flatAmount: {} }] },
      /tier 1 flat amount/,
    ],
    ['a negative percentage', { model: 'percentage', percentage: '-2' }, /negative/],
    [
      'a minimum above the maximum',
      { model: 'percentage', percentage: '2', minimum: { USD: 10 }, maximum: { USD: 1 } },
      /above maximum/,
    ],
    ['a bad free amount', { model: 'percentage', percentage: '2', freeAmount: { USD: -1 } }, /is negative/],
  ])('refuses %s', (_, price, message) => {
    expect(() => assertPrice(price as Price)).toThrow(message);
  });
});

describe('priceLine properties', () => {
  const quantity = fc.integer({ min: 0, max: 1_000_000 });
  const unitAmount = fc.integer({ min: 0, max: 100_000 });
  const tierList = fc
    .uniqueArray(fc.integer({ min: 1, max: 10_000 }), { minLength: 0, maxLength: 5 })
    .chain((bounds) =>
      fc.tuple(
        ...[...bounds.sort((a, b) => a - b), null].map((upTo) =>
          fc.record({
            upTo: fc.constant(upTo),
            unitAmount: unitAmount.map((USD) => ({ USD })),
            flatAmount: fc.option(
              unitAmount.map((USD) => ({ USD })),
              { nil: undefined },
            ),
          }),
        ),
      ),
    );
  const anyPrice: fc.Arbitrary<Price> = fc.oneof(
    unitAmount.map((USD): Price => ({ model: 'flat', amount: { USD } })),
    fc
      .tuple(unitAmount, fc.integer({ min: 0, max: 1000 }))
      .map(([USD, freeQuantity]): Price => ({ model: 'per_unit', unitAmount: { USD }, freeQuantity })),
    fc
      .tuple(unitAmount, fc.integer({ min: 1, max: 1000 }))
      .map(([USD, packageSize]): Price => ({ model: 'package', packageAmount: { USD }, packageSize })),
    tierList.map((list): Price => ({ model: 'graduated', tiers: list })),
    tierList.map((list): Price => ({ model: 'volume', tiers: list })),
    fc
      .tuple(fc.integer({ min: 0, max: 10000 }), fc.option(unitAmount, { nil: undefined }))
      .map(([basisPoints, minimum]): Price => ({
        model: 'percentage',
        percentage: `${Math.floor(basisPoints / 100)}.${String(basisPoints % 100).padStart(2, '0')}`,
        minimum: minimum === undefined ? undefined : { USD: minimum },
      })),
  );

  it('breakdown steps always add up to the line amount, in integers', () => {
    fc.assert(
      fc.property(anyPrice, quantity, (price, units) => {
        const line = priceLine(price, units, 'USD');
        const total = line.breakdown.reduce((acc, item) => acc + item.amount.amountMinor, 0);
        expect(total).toBe(line.amount.amountMinor);
        expect(Number.isSafeInteger(line.amount.amountMinor)).toBe(true);
        expect(line.amount.amountMinor).toBeGreaterThanOrEqual(0);
        expect(line.freeQuantity + line.billableQuantity).toBe(units);
        for (const item of line.breakdown) expect(Number.isSafeInteger(item.amount.amountMinor)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('graduated prices never decrease as the quantity grows', () => {
    fc.assert(
      fc.property(tierList, quantity, quantity, (list, a, b) => {
        const price: Price = { model: 'graduated', tiers: list };
        const [low, high] = a <= b ? [a, b] : [b, a];
        expect(priceLine(price, low, 'USD').amount.amountMinor).toBeLessThanOrEqual(
          priceLine(price, high, 'USD').amount.amountMinor,
        );
      }),
    );
  });
});
