// Stripe's units for amounts, per currency, from Stripe's published currency rules
// (https://docs.stripe.com/currencies: "Zero-decimal", "Three-decimal" and "Special cases").
//
// Our port speaks ISO 4217 minor units (what @astrix/pricing uses: MGA has 2 decimals, ISK 0).
// Stripe's `amount` fields do not always: MGA is zero-decimal at Stripe, ISK is two-decimal at
// Stripe with whole krónur only, three-decimal amounts must end in 0, and HUF, TWD and UGX have
// payout rules of their own. The adapter converts both ways here and refuses an amount Stripe
// cannot represent instead of sending a wrong one; the fake Stripe validates with the same table.
// This package may not depend on @astrix/pricing, hence the small table of ISO exponents below.

/** Which of Stripe's rules apply: payments (intents, charges, refunds, checkout, transfers, disputes, balances) or payouts. */
export type StripeAmountUse = 'payment' | 'payout';

export interface StripeCurrencyRule {
  /** Lower-case code, as Stripe spells it. */
  readonly currency: string;
  /** ISO 4217 minor-unit exponent: what our `…Minor` integers count. */
  readonly isoExponent: number;
  /** Decimals of Stripe's integer `amount` for payments. */
  readonly stripeExponent: number;
  /** Stripe's payment amounts must be a multiple of this (10: last digit 0; 100: whole units only). */
  readonly step: number;
  /** Payout amounts, when Stripe's rule differs from payments. */
  readonly payout: { readonly stripeExponent: number; readonly step: number };
  /** Why this currency is special, for error messages; null for an ordinary currency. */
  readonly note: string | null;
}

/** Stripe's presentment currencies (lower case); anything else Stripe refuses. */
// prettier-ignore
const SUPPORTED = [
  'aed', 'afn', 'all', 'amd', 'ang', 'aoa', 'ars', 'aud', 'awg', 'azn', 'bam', 'bbd', 'bdt', 'bgn',
  'bhd', 'bif', 'bmd', 'bnd', 'bob', 'brl', 'bsd', 'bwp', 'byn', 'bzd', 'cad', 'cdf', 'chf', 'clp',
  'cny', 'cop', 'crc', 'cve', 'czk', 'djf', 'dkk', 'dop', 'dzd', 'egp', 'etb', 'eur', 'fjd', 'fkp',
  'gbp', 'gel', 'gip', 'gmd', 'gnf', 'gtq', 'gyd', 'hkd', 'hnl', 'htg', 'huf', 'idr', 'ils', 'inr',
  'isk', 'jmd', 'jod', 'jpy', 'kes', 'kgs', 'khr', 'kmf', 'krw', 'kwd', 'kyd', 'kzt', 'lak', 'lbp',
  'lkr', 'lrd', 'lsl', 'mad', 'mdl', 'mga', 'mkd', 'mmk', 'mnt', 'mop', 'mur', 'mvr', 'mwk', 'mxn',
  'myr', 'mzn', 'nad', 'ngn', 'nio', 'nok', 'npr', 'nzd', 'omr', 'pab', 'pen', 'pgk', 'php', 'pkr',
  'pln', 'pyg', 'qar', 'ron', 'rsd', 'rub', 'rwf', 'sar', 'sbd', 'scr', 'sek', 'sgd', 'shp', 'sle',
  'sos', 'srd', 'szl', 'thb', 'tjs', 'tnd', 'top', 'try', 'ttd', 'twd', 'tzs', 'uah', 'ugx', 'usd',
  'uyu', 'uzs', 'vnd', 'vuv', 'wst', 'xaf', 'xcd', 'xcg', 'xof', 'xpf', 'yer', 'zar', 'zmw',
] as const;

/** Stripe's zero-decimal currencies: `amount` counts whole units (¥500 is 500, Ar 500 is 500). */
export const STRIPE_ZERO_DECIMAL: readonly string[] = [
  'bif',
  'clp',
  'djf',
  'gnf',
  'jpy',
  'kmf',
  'krw',
  'mga',
  'pyg',
  'rwf',
  'ugx',
  'vnd',
  'vuv',
  'xaf',
  'xof',
  'xpf',
];
/** Stripe's three-decimal currencies: 3 decimals, and the last digit must be 0 (5.124 KWD → 5120 or 5130). */
export const STRIPE_THREE_DECIMAL: readonly string[] = ['bhd', 'jod', 'kwd', 'omr', 'tnd'];

/** ISO 4217 exponents of the supported currencies that are not 2. */
const ISO_EXPONENT_NOT_2: Readonly<Record<string, number>> = {
  bif: 0,
  clp: 0,
  djf: 0,
  gnf: 0,
  isk: 0,
  jpy: 0,
  kmf: 0,
  krw: 0,
  pyg: 0,
  rwf: 0,
  ugx: 0,
  vnd: 0,
  vuv: 0,
  xaf: 0,
  xof: 0,
  xpf: 0,
  bhd: 3,
  jod: 3,
  kwd: 3,
  omr: 3,
  tnd: 3,
};

function ruleFor(currency: string): StripeCurrencyRule {
  const isoExponent = ISO_EXPONENT_NOT_2[currency] ?? 2;
  const ordinary = (stripeExponent: number, step: number, note: string | null): StripeCurrencyRule => ({
    currency,
    isoExponent,
    stripeExponent,
    step,
    payout: { stripeExponent, step },
    note,
  });
  switch (currency) {
    case 'isk':
      // Zero-decimal in ISO 4217, still two-decimal in Stripe's API with the decimals always 00.
      return ordinary(2, 100, 'Stripe takes ISK as a two-decimal amount of whole krónur (divisible by 100)');
    case 'huf':
    case 'twd':
      // Two-decimal charges; payouts are whole units only (an amount divisible by 100).
      return {
        ...ordinary(2, 1, null),
        payout: { stripeExponent: 2, step: 100 },
        note: `Stripe pays ${currency.toUpperCase()} out in whole units only (divisible by 100)`,
      };
    case 'ugx':
      // Zero-decimal for payments; payouts keep the two-decimal form with the decimals always 00.
      return {
        ...ordinary(0, 1, null),
        payout: { stripeExponent: 2, step: 100 },
        note: 'Stripe takes UGX payouts as a two-decimal amount of whole shillings (divisible by 100)',
      };
    default:
      break;
  }
  if (STRIPE_ZERO_DECIMAL.includes(currency)) {
    return ordinary(
      0,
      1,
      isoExponent === 0 ? null : `${currency.toUpperCase()} is zero-decimal at Stripe (whole units only)`,
    );
  }
  if (STRIPE_THREE_DECIMAL.includes(currency)) {
    return ordinary(3, 10, `Stripe requires the last digit of a ${currency.toUpperCase()} amount to be 0`);
  }
  return ordinary(2, 1, null);
}

const RULES: ReadonlyMap<string, StripeCurrencyRule> = new Map(
  SUPPORTED.map((currency) => [currency, Object.freeze(ruleFor(currency))]),
);

/** Stripe's rule for a currency (any case), or null when Stripe does not support it. */
export function stripeCurrencyRule(currency: string): StripeCurrencyRule | null {
  return RULES.get(currency.toLowerCase()) ?? null;
}

export type StripeAmountProblem = 'unsupported_currency' | 'not_representable' | 'not_an_integer';

/** An amount that cannot cross the boundary as asked. */
export class StripeAmountRefused extends Error {
  constructor(
    readonly problem: StripeAmountProblem,
    message: string,
  ) {
    super(message);
    this.name = 'StripeAmountRefused';
  }
}

function exponentsOf(
  rule: StripeCurrencyRule,
  use: StripeAmountUse,
): { stripeExponent: number; step: number } {
  return use === 'payout' ? rule.payout : { stripeExponent: rule.stripeExponent, step: rule.step };
}

function requireRule(currency: string): StripeCurrencyRule {
  const rule = stripeCurrencyRule(currency);
  if (rule === null) {
    throw new StripeAmountRefused(
      'unsupported_currency',
      `Stripe does not support the currency ${currency.toUpperCase()}`,
    );
  }
  return rule;
}

function requireInteger(amount: number, what: string): void {
  if (!Number.isSafeInteger(amount)) {
    throw new StripeAmountRefused('not_an_integer', `${what} ${String(amount)} is not a safe integer`);
  }
}

/** `amount` with `decimals` decimals, for messages: 12345, 2 → "123.45". */
function decimal(amount: number, decimals: number): string {
  if (decimals === 0) return String(amount);
  const sign = amount < 0 ? '-' : '';
  const digits = String(Math.abs(amount)).padStart(decimals + 1, '0');
  return `${sign}${digits.slice(0, -decimals)}.${digits.slice(-decimals)}`;
}

/**
 * Our ISO 4217 minor units → Stripe's `amount`. Throws StripeAmountRefused when Stripe cannot
 * represent the amount exactly (a fraction of a unit Stripe counts whole, a KWD amount not ending
 * in 0, an unsupported currency) — never rounds money silently.
 */
export function toStripeAmount(
  amountMinor: number,
  currency: string,
  use: StripeAmountUse = 'payment',
): number {
  requireInteger(amountMinor, 'amount');
  const rule = requireRule(currency);
  const { stripeExponent, step } = exponentsOf(rule, use);
  const code = currency.toUpperCase();
  const shift = stripeExponent - rule.isoExponent;
  let stripeAmount: number;
  if (shift >= 0) {
    stripeAmount = amountMinor * 10 ** shift;
    if (!Number.isSafeInteger(stripeAmount)) {
      throw new StripeAmountRefused('not_representable', `${code} ${amountMinor} is too large for Stripe`);
    }
  } else {
    const divisor = 10 ** -shift;
    if (amountMinor % divisor !== 0) {
      throw new StripeAmountRefused(
        'not_representable',
        `${code} ${decimal(amountMinor, rule.isoExponent)} cannot be charged through Stripe: ${rule.note ?? `Stripe counts ${code} in units of ${divisor} minor units`}`,
      );
    }
    stripeAmount = amountMinor / divisor;
  }
  if (stripeAmount % step !== 0) {
    throw new StripeAmountRefused(
      'not_representable',
      `${code} ${decimal(amountMinor, rule.isoExponent)} cannot be ${use === 'payout' ? 'paid out' : 'charged'} through Stripe: ${rule.note ?? `Stripe requires a multiple of ${step}`}`,
    );
  }
  return stripeAmount;
}

/**
 * Stripe's `amount` → our ISO 4217 minor units. An amount Stripe reports that our units cannot
 * hold (a legacy fractional ISK charge) throws rather than being booked wrong. A currency outside
 * the table passes through unchanged (Stripe added it after this table; its exponent is 2).
 */
export function fromStripeAmount(
  stripeAmount: number,
  currency: string,
  use: StripeAmountUse = 'payment',
): number {
  requireInteger(stripeAmount, 'Stripe amount');
  const rule = stripeCurrencyRule(currency);
  if (rule === null) return stripeAmount;
  const { stripeExponent } = exponentsOf(rule, use);
  const shift = rule.isoExponent - stripeExponent;
  if (shift >= 0) {
    const amountMinor = stripeAmount * 10 ** shift;
    if (!Number.isSafeInteger(amountMinor)) {
      throw new StripeAmountRefused(
        'not_representable',
        `Stripe amount ${currency.toUpperCase()} ${stripeAmount} is too large`,
      );
    }
    return amountMinor;
  }
  const divisor = 10 ** -shift;
  if (stripeAmount % divisor !== 0) {
    throw new StripeAmountRefused(
      'not_representable',
      `Stripe amount ${currency.toUpperCase()} ${decimal(stripeAmount, stripeExponent)} has a fraction ISO 4217 ${currency.toUpperCase()} does not have`,
    );
  }
  return stripeAmount / divisor;
}

/**
 * For the fake Stripe: is `stripeAmount` (already in Stripe's units) one Stripe accepts? Returns
 * the refusal message Stripe would give, or null.
 */
export function stripeAmountProblem(
  stripeAmount: number,
  currency: string,
  use: StripeAmountUse = 'payment',
): { code: string; message: string } | null {
  const rule = stripeCurrencyRule(currency);
  if (rule === null) {
    return {
      code: 'invalid_currency',
      message: `Invalid currency: ${currency.toLowerCase()}. Stripe currently supports these currencies: ${SUPPORTED.join(', ')}`,
    };
  }
  const { step } = exponentsOf(rule, use);
  if (stripeAmount % step === 0) return null;
  return step === 100
    ? {
        code: 'invalid_charge_amount_no_decimal_compatible',
        message: `Invalid amount. Currency ${currency.toUpperCase()} has become effectively zero-decimal and ${use === 'payout' ? 'payout' : 'charged'} amounts must be evenly divisible by 100.`,
      }
    : {
        code: 'amount_too_precise',
        message: `Invalid amount. ${currency.toUpperCase()} amounts must have 0 as their last digit (round to the nearest ten).`,
      };
}
