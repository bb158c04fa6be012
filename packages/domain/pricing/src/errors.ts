/**
 * Typed errors. Every error thrown by this package is a `PricingError` with a stable `code`, so the API
 * can map it to a 4xx response without parsing messages. Messages name the offending value.
 */
export type PricingErrorCode =
  | 'INVALID_AMOUNT'
  | 'OVERFLOW'
  | 'UNKNOWN_CURRENCY'
  | 'CURRENCY_MISMATCH'
  | 'CURRENCY_UNAVAILABLE'
  | 'INVALID_DECIMAL'
  | 'TOO_MANY_DECIMALS'
  | 'INVALID_QUANTITY'
  | 'NEGATIVE_QUANTITY'
  | 'INVALID_FACTOR'
  | 'INVALID_ROUNDING_MODE'
  | 'INVALID_ALLOCATION'
  | 'INVALID_PRICE'
  | 'INVALID_COUPON'
  | 'INVALID_DATE'
  | 'INVALID_PERIOD'
  | 'INVALID_TAX_RATE'
  | 'INVALID_EXCHANGE_RATE'
  | 'INVALID_PAYOUT_CONFIG'
  | 'INVALID_LOCALE';

export class PricingError extends Error {
  constructor(
    readonly code: PricingErrorCode,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** NaN, Infinity, a fraction of a minor unit, or a value of the wrong type where an amount was expected. */
export class InvalidAmountError extends PricingError {
  constructor(message: string) {
    super('INVALID_AMOUNT', message);
  }
}

/** A result or input outside ±Number.MAX_SAFE_INTEGER. */
export class OverflowError extends PricingError {
  constructor(message: string) {
    super('OVERFLOW', message);
  }
}

export class UnknownCurrencyError extends PricingError {
  constructor(readonly currency: unknown) {
    super(
      'UNKNOWN_CURRENCY',
      `unknown currency ${JSON.stringify(currency)}: expected an ISO 4217 code such as "USD"`,
    );
  }
}

export class CurrencyMismatchError extends PricingError {
  constructor(
    readonly expected: string,
    readonly actual: string,
    context: string,
  ) {
    super('CURRENCY_MISMATCH', `currency mismatch in ${context}: ${expected} and ${actual} cannot be mixed`);
  }
}

/** A price, coupon or threshold has no amount defined in the requested currency. */
export class CurrencyUnavailableError extends PricingError {
  constructor(what: string, currency: string, available: readonly string[]) {
    const list = available.length > 0 ? available.join(', ') : 'none';
    super('CURRENCY_UNAVAILABLE', `${what} has no amount in ${currency} (defined in: ${list})`);
  }
}

/** A string that is not a plain decimal number such as "19.99" or "-5". */
export class InvalidDecimalError extends PricingError {
  constructor(value: unknown, what: string) {
    super('INVALID_DECIMAL', `${what} ${JSON.stringify(value)} is not a decimal number like "19.99"`);
  }
}

export class TooManyDecimalsError extends PricingError {
  constructor(value: string, currency: string, exponent: number) {
    super(
      'TOO_MANY_DECIMALS',
      `amount "${value}" has more decimals than ${currency} allows (${exponent}): it is a fraction of a minor unit`,
    );
  }
}

export class InvalidQuantityError extends PricingError {
  constructor(message: string) {
    super('INVALID_QUANTITY', message);
  }
}

export class NegativeQuantityError extends PricingError {
  constructor(what: string, value: number) {
    super('NEGATIVE_QUANTITY', `${what} ${value} is negative; it must be zero or more`);
  }
}

/** A multiplier or ratio that is not an exact number (zero denominator, non-integer parts, bad string). */
export class InvalidFactorError extends PricingError {
  constructor(message: string) {
    super('INVALID_FACTOR', message);
  }
}

export class InvalidRoundingModeError extends PricingError {
  constructor(mode: unknown, allowed: readonly string[]) {
    super(
      'INVALID_ROUNDING_MODE',
      `unknown rounding mode ${JSON.stringify(mode)}; use one of ${allowed.join(', ')}`,
    );
  }
}

export class InvalidAllocationError extends PricingError {
  constructor(message: string) {
    super('INVALID_ALLOCATION', message);
  }
}

export class InvalidPriceError extends PricingError {
  constructor(message: string) {
    super('INVALID_PRICE', message);
  }
}

export class InvalidCouponError extends PricingError {
  constructor(message: string) {
    super('INVALID_COUPON', message);
  }
}

export class InvalidDateError extends PricingError {
  constructor(what: string, value: unknown) {
    super('INVALID_DATE', `${what} ${describeDate(value)} is not a valid date`);
  }
}

export class InvalidPeriodError extends PricingError {
  constructor(message: string) {
    super('INVALID_PERIOD', message);
  }
}

export class InvalidTaxRateError extends PricingError {
  constructor(message: string) {
    super('INVALID_TAX_RATE', message);
  }
}

export class InvalidExchangeRateError extends PricingError {
  constructor(message: string) {
    super('INVALID_EXCHANGE_RATE', message);
  }
}

export class InvalidPayoutConfigError extends PricingError {
  constructor(message: string) {
    super('INVALID_PAYOUT_CONFIG', message);
  }
}

export class InvalidLocaleError extends PricingError {
  constructor(locale: string, reason: string) {
    super('INVALID_LOCALE', `cannot format money for locale ${JSON.stringify(locale)}: ${reason}`);
  }
}

function describeDate(value: unknown): string {
  if (value instanceof Date) return 'Invalid Date';
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}
