/**
 * Scenario tests: real billing cases end to end, through the public API only.
 */
import {
  type Coupon,
  type CouponContext,
  type Price,
  type TaxRate,
  applyCoupon,
  billingPeriodFor,
  computeInvoiceTotals,
  computePayoutSplit,
  convert,
  formatMoney,
  money,
  moneyFromDecimal,
  priceLine,
  prorateChange,
  subscriptionPeriodAt,
  toDecimalString,
  trialEndFor,
} from './index';

const checkoutContext = (overrides: Partial<CouponContext> = {}): CouponContext => ({
  now: new Date('2026-11-21T10:00:00Z'),
  currency: 'USD',
  redemptionsSoFar: 41,
  customerRedemptions: 0,
  isFirstPurchase: true,
  ...overrides,
});

describe('scenario: a 50k evaluation at $299 with a 20 %-off welcome coupon', () => {
  const evaluation50k: Price = { model: 'flat', amount: { USD: 29900, EUR: 27900, JPY: 45000 } };
  const welcome20: Coupon = {
    id: 'WELCOME20',
    kind: 'percent_off',
    percentOff: '20',
    duration: { type: 'once' },
    productIds: ['eval_50k', 'eval_100k'],
    firstPurchaseOnly: true,
    maxRedemptions: 500,
    maxRedemptionsPerCustomer: 1,
    expiresAt: new Date('2026-12-31T23:59:59Z'),
  };

  it('charges $239.20', () => {
    const line = priceLine(evaluation50k, 1, 'USD');
    const discounted = applyCoupon(
      welcome20,
      [{ id: 'li_1', productId: 'eval_50k', amount: line.amount }],
      checkoutContext(),
    );
    expect(discounted.applies).toBe(true);
    const totals = computeInvoiceTotals(discounted.lines, { currency: 'USD' });
    expect(toDecimalString(totals.discount)).toBe('59.80');
    expect(formatMoney(totals.amountDue, 'en-US')).toBe('$239.20');
  });

  it('refuses the coupon on a second purchase and for a reset', () => {
    const line = { id: 'li_1', productId: 'eval_50k', amount: money(29900, 'USD') };
    expect(
      applyCoupon(welcome20, [line], checkoutContext({ isFirstPurchase: false, customerRedemptions: 1 })),
    ).toMatchObject({
      applies: false,
      reason: 'customer_limit_reached',
    });
    const reset = { id: 'li_2', productId: 'reset_50k', amount: money(9900, 'USD') };
    expect(applyCoupon(welcome20, [reset], checkoutContext())).toMatchObject({
      applies: false,
      reason: 'not_for_product',
    });
  });
});

describe('scenario: a mid-month upgrade from $49 to $99 monthly', () => {
  it('credits $24.50 and charges $49.50 on November 16', () => {
    const anchor = new Date('2026-10-01T00:00:00Z');
    const upgradeAt = new Date('2026-11-16T00:00:00Z');
    const period = billingPeriodFor(anchor, 'month', 1, upgradeAt);
    expect(period).toMatchObject({
      start: new Date('2026-11-01T00:00:00Z'),
      end: new Date('2026-12-01T00:00:00Z'),
    });
    const proration = prorateChange({
      period,
      changeAt: upgradeAt,
      oldAmount: money(4900, 'USD'),
      newAmount: money(9900, 'USD'),
    });
    const invoice = computeInvoiceTotals(
      proration.lines.map((line, index) => ({ id: `li_${index}`, amount: line.amount })),
      { currency: 'USD' },
    );
    expect(proration.lines.map((line) => toDecimalString(line.amount))).toEqual(['-24.50', '49.50']);
    expect(invoice.amountDue).toEqual(money(2500, 'USD'));
  });

  it('prorates an upgrade at an odd second with the stated rounding', () => {
    const period = { start: new Date('2026-11-01T00:00:00Z'), end: new Date('2026-12-01T00:00:00Z') };
    const at = new Date('2026-11-17T13:27:41Z'); // 1_161_139 of 2_592_000 seconds left
    const half = prorateChange({
      period,
      changeAt: at,
      oldAmount: money(4900, 'USD'),
      newAmount: money(9900, 'USD'),
    });
    expect(half.remainingSeconds).toBe(1_161_139);
    // 4900 × 1161139 / 2592000 = 2195.06…; 9900 × … = 4434.91…
    expect(half.lines.map((line) => line.amount.amountMinor)).toEqual([-2195, 4435]);
    const up = prorateChange({
      period,
      changeAt: at,
      oldAmount: money(4900, 'USD'),
      newAmount: money(9900, 'USD'),
      rounding: 'ceil',
    });
    expect(up.lines.map((line) => line.amount.amountMinor)).toEqual([-2196, 4435]);
  });

  it('adds seats mid-period: 3 → 5 seats at $20', () => {
    const seat: Price = { model: 'per_unit', unitAmount: { USD: 2000 } };
    const period = { start: new Date('2026-11-01T00:00:00Z'), end: new Date('2026-12-01T00:00:00Z') };
    const change = prorateChange({
      period,
      changeAt: new Date('2026-11-21T00:00:00Z'),
      oldAmount: priceLine(seat, 3, 'USD').amount,
      newAmount: priceLine(seat, 5, 'USD').amount,
    });
    expect(change.net).toEqual(money(1333, 'USD')); // −2000 + 3333.33
  });
});

describe('scenario: a JPY purchase', () => {
  it('prices, discounts and formats in yen with no decimals', () => {
    const evaluation: Price = { model: 'flat', amount: { USD: 29900, JPY: 45000 } };
    const yenOff: Coupon = {
      id: 'YEN5000',
      kind: 'amount_off',
      amountOff: { JPY: 5000 },
      duration: { type: 'once' },
    };
    const line = priceLine(evaluation, 1, 'JPY');
    const result = applyCoupon(
      yenOff,
      [{ id: 'li_1', amount: line.amount }],
      checkoutContext({ currency: 'JPY' }),
    );
    const totals = computeInvoiceTotals(result.lines, { currency: 'JPY' });
    expect(totals.amountDue).toEqual(money(40000, 'JPY'));
    expect(formatMoney(totals.amountDue, 'ja-JP')).toBe('￥40,000');
    expect(() => moneyFromDecimal('40000.5', 'JPY')).toThrow('has more decimals than JPY allows (0)');
  });

  it('converts a USD price to yen with the rate snapshot kept for audit', () => {
    const snapshot = {
      from: 'USD' as const,
      to: 'JPY' as const,
      rate: '154.23',
      source: 'ecb',
      asOf: new Date('2026-11-21T16:00:00Z'),
    };
    const conversion = convert(money(29900, 'USD'), snapshot, 'half_up');
    expect(conversion.amount).toEqual(money(46115, 'JPY')); // 299 × 154.23 = 46114.77
    expect(conversion.rateSnapshot).toEqual(snapshot);
  });
});

describe('scenario: KWD with tax at three decimals', () => {
  const vat5: TaxRate = { id: 'txr_kw_vat', percentage: '5', inclusive: false };

  it('rounds tax to the fils, per line or once per invoice', () => {
    const lines = ['12.345', '7.001', '0.999'].map((amount, index) => ({
      id: `li_${index}`,
      amount: moneyFromDecimal(amount, 'KWD'),
      taxRates: [vat5],
    }));
    // exact taxes 0.61725, 0.35005, 0.04995 → per line (half-up) 0.617 + 0.350 + 0.050 = 1.017
    const perLine = computeInvoiceTotals(lines, { currency: 'KWD', rounding: 'half_up' });
    expect(toDecimalString(perLine.tax)).toBe('1.017');
    // one rounding of 1.01725 → 1.017, spread over the lines by largest remainder
    const perInvoice = computeInvoiceTotals(lines, {
      currency: 'KWD',
      rounding: 'half_up',
      taxRounding: 'per_invoice',
    });
    expect(toDecimalString(perInvoice.tax)).toBe('1.017');
    expect(perInvoice.lines.map((line) => toDecimalString(line.tax))).toEqual(['0.617', '0.350', '0.050']);
    expect(toDecimalString(perInvoice.total)).toBe('21.362');
    expect(formatMoney(perInvoice.total, 'en-US')).toBe('KWD\u00a021.362');
  });
});

describe('scenario: EUR checkout with VAT included in the price', () => {
  it('recomputes the included VAT on the discounted amount', () => {
    const vat: TaxRate = { id: 'txr_de', percentage: '19', inclusive: true };
    const coupon: Coupon = {
      id: 'TENEUR',
      kind: 'amount_off',
      amountOff: { EUR: 1000 },
      duration: { type: 'once' },
    };
    const lines = [{ id: 'li_1', amount: money(11900, 'EUR'), taxRates: [vat] }];
    const discounted = applyCoupon(coupon, lines, checkoutContext({ currency: 'EUR' }));
    const totals = computeInvoiceTotals(discounted.lines, { currency: 'EUR' });
    // 109.00 incl. 19 % VAT: VAT = 109 × 19 / 119 = 17.403… → 17.40
    expect(totals).toMatchObject({
      total: money(10900, 'EUR'),
      tax: money(1740, 'EUR'),
      totalExcludingTax: money(9160, 'EUR'),
    });
    expect(formatMoney(totals.total, 'de-DE')).toBe('109,00\u00a0€');
  });
});

describe('scenario: a usage-billed API plan', () => {
  it('charges graduated usage after a free allowance plus a percentage fee, with tax per invoice', () => {
    const apiCalls: Price = {
      model: 'graduated',
      freeQuantity: 10_000,
      tiers: [
        { upTo: 100_000, unitAmount: { USD: 1 } }, // $0.01 per call
        { upTo: null, unitAmount: { USD: 0 }, flatAmount: { USD: 50000 } }, // unlimited above for $500
      ],
    };
    const processing: Price = { model: 'percentage', percentage: '0.5', minimum: { USD: 100 } };
    const usage = priceLine(apiCalls, 250_000, 'USD');
    expect(usage.breakdown.map((item) => item.description)).toEqual([
      '10000 of 10000 free units',
      'Tier 1 (units 1–100000): 100000 × 0.01 USD',
      'Tier 2 (units 100001+): 140000 × 0.00 USD',
      'Tier 2 (units 100001+): flat fee',
    ]);
    expect(usage.amount).toEqual(money(150000, 'USD'));
    const fee = priceLine(processing, 1_234_567, 'USD'); // 0.5 % of $12,345.67 = 6172.835 → 6173 (half-even: .835 rounds up)
    expect(fee.amount).toEqual(money(6173, 'USD'));
    const tax: TaxRate = { id: 'txr_ca', percentage: '7.25', inclusive: false };
    const totals = computeInvoiceTotals(
      [
        { id: 'usage', amount: usage.amount, taxRates: [tax] },
        { id: 'fee', amount: fee.amount, taxRates: [tax] },
      ],
      { currency: 'USD', taxRounding: 'per_invoice', credits: money(10000, 'USD') },
    );
    // (150000 + 6173) × 7.25 % = 11322.5425 → 11323
    expect(totals).toMatchObject({
      subtotal: money(156173, 'USD'),
      tax: money(11323, 'USD'),
      total: money(167496, 'USD'),
    });
    expect(totals).toMatchObject({ creditsApplied: money(10000, 'USD'), amountDue: money(157496, 'USD') });
  });
});

describe('scenario: subscription calendars', () => {
  it('bills a monthly plan anchored on January 31 on the last day of short months', () => {
    const anchor = new Date('2027-01-31T00:00:00Z');
    const starts = ['2027-02-15', '2027-03-15', '2027-05-01', '2028-02-29'].map((day) =>
      billingPeriodFor(anchor, 'month', 1, new Date(`${day}T12:00:00Z`))
        .start.toISOString()
        .slice(0, 10),
    );
    expect(starts).toEqual(['2027-01-31', '2027-02-28', '2027-04-30', '2028-02-29']);
  });

  it('renews a yearly plan bought on February 29 on February 28 in common years', () => {
    const anchor = new Date('2028-02-29T09:00:00Z');
    expect(billingPeriodFor(anchor, 'year', 1, new Date('2029-03-01T00:00:00Z')).start).toEqual(
      new Date('2029-02-28T09:00:00Z'),
    );
    expect(billingPeriodFor(anchor, 'year', 1, new Date('2032-03-01T00:00:00Z')).start).toEqual(
      new Date('2032-02-29T09:00:00Z'),
    );
  });

  it('starts billing when a 14-day trial ends', () => {
    const startedAt = new Date('2026-11-21T15:30:00Z');
    const schedule = { startedAt, trialEnd: trialEndFor(startedAt, 14), interval: 'month' as const };
    expect(subscriptionPeriodAt(schedule, new Date('2026-12-01T00:00:00Z')).phase).toBe('trial');
    expect(subscriptionPeriodAt(schedule, new Date('2027-01-10T00:00:00Z'))).toEqual({
      phase: 'regular',
      start: new Date('2027-01-05T15:30:00Z'),
      end: new Date('2027-02-05T15:30:00Z'),
      index: 1,
    });
  });
});

describe('scenario: an 80/20 payout that crosses into 90/10', () => {
  it('splits at the boundary, refunds the evaluation fee with the first payout and respects the cap', () => {
    const split = computePayoutSplit({
      profit: moneyFromDecimal('12000.00', 'USD'),
      splitTiers: [
        { fromCumulative: money(0, 'USD'), traderSharePercent: '80' },
        { fromCumulative: moneyFromDecimal('5000.00', 'USD'), traderSharePercent: '90' },
      ],
      cumulativePaidToTrader: money(0, 'USD'),
      minimumPayout: moneyFromDecimal('100.00', 'USD'),
      capPerCycle: moneyFromDecimal('10000.00', 'USD'),
      paidThisCycle: money(0, 'USD'),
      isFirstPayout: true,
      evaluationFeePaid: money(29900, 'USD'),
    });
    // $6,250 of profit at 80 % brings the trader to $5,000; the other $5,750 at 90 % adds $5,175
    expect(
      split.segments.map((segment) => [
        toDecimalString(segment.profit),
        toDecimalString(segment.traderAmount),
      ]),
    ).toEqual([
      ['6250.00', '5000.00'],
      ['5750.00', '5175.00'],
    ]);
    expect(toDecimalString(split.traderAmount)).toBe('10175.00');
    expect(toDecimalString(split.firmAmount)).toBe('1825.00');
    expect(toDecimalString(split.payableToTrader)).toBe('10000.00');
    expect(toDecimalString(split.withheldByCap)).toBe('175.00');
    expect(toDecimalString(split.feeRefund)).toBe('299.00');
    expect(formatMoney(split.totalPayout)).toBe('$10,299.00');
  });

  it('pays a 90/10 funded trader who reached the higher tier earlier', () => {
    const split = computePayoutSplit({
      profit: moneyFromDecimal('3333.33', 'USD'),
      splitTiers: [
        { fromCumulative: money(0, 'USD'), traderSharePercent: '80' },
        { fromCumulative: moneyFromDecimal('5000.00', 'USD'), traderSharePercent: '90' },
      ],
      cumulativePaidToTrader: moneyFromDecimal('12000.00', 'USD'),
      isFirstPayout: false,
    });
    expect([toDecimalString(split.traderAmount), toDecimalString(split.firmAmount)]).toEqual([
      '3000.00',
      '333.33',
    ]); // 2999.997
  });
});
