import { InvalidAmountError, InvalidQuantityError, NegativeQuantityError, OverflowError } from './errors';

const MAX_SAFE_BIGINT = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_SAFE_BIGINT = -MAX_SAFE_BIGINT;

/** Checks an amount of minor units: a finite, safe integer. */
export function assertMinorUnits(value: unknown, currency: string): asserts value is number {
  if (typeof value !== 'number') {
    throw new InvalidAmountError(`amount ${describe(value)} is not a number of minor units of ${currency}`);
  }
  if (!Number.isFinite(value)) {
    throw new InvalidAmountError(`amount ${value} is not a finite number of minor units of ${currency}`);
  }
  if (!Number.isInteger(value)) {
    throw new InvalidAmountError(`amount ${value} is not an integer number of minor units of ${currency}`);
  }
  if (!Number.isSafeInteger(value)) {
    throw new OverflowError(
      `amount ${value} of ${currency} is outside the safe integer range ±${Number.MAX_SAFE_INTEGER}`,
    );
  }
}

/*
 * Checked arithmetic on safe integers. A double result of one operation on two safe integers is a safe
 * integer exactly when the true result is, so checking after each single operation is enough. Messages
 * are only built on failure: these run on the hot path.
 */
export function checkedAdd(a: number, b: number, what: string): number {
  const result = a + b;
  if (!Number.isSafeInteger(result)) throw overflow(what, `${a} + ${b}`);
  return result;
}

export function checkedSubtract(a: number, b: number, what: string): number {
  const result = a - b;
  if (!Number.isSafeInteger(result)) throw overflow(what, `${a} - ${b}`);
  return result;
}

export function checkedMultiply(a: number, b: number, what: string): number {
  const result = a * b;
  if (!Number.isSafeInteger(result)) throw overflow(what, `${a} × ${b}`);
  return result;
}

export function bigintToSafeNumber(value: bigint, what: string): number {
  if (value > MAX_SAFE_BIGINT || value < MIN_SAFE_BIGINT) throw overflow(what, String(value));
  return Number(value);
}

function overflow(what: string, operation: string): OverflowError {
  return new OverflowError(
    `${what}: ${operation} overflows the safe integer range ±${Number.MAX_SAFE_INTEGER}`,
  );
}

/** A count of units, periods or redemptions: a non-negative safe integer. */
export function assertQuantity(value: unknown, what: string): asserts value is number {
  assertInteger(value, what);
  if (value < 0) throw new NegativeQuantityError(what, value);
}

/** A safe integer of either sign (an integer multiplier, for example). */
export function assertInteger(value: unknown, what: string): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new InvalidQuantityError(`${what} ${describe(value)} is not a finite number`);
  }
  if (!Number.isInteger(value)) throw new InvalidQuantityError(`${what} ${value} is not an integer`);
  if (!Number.isSafeInteger(value)) {
    throw new OverflowError(`${what} ${value} is outside the safe integer range ±${Number.MAX_SAFE_INTEGER}`);
  }
}

/** A short rendering of a bad input for error messages. */
export function describe(value: unknown): string {
  if (typeof value === 'bigint') return `${value}n`;
  if (
    typeof value === 'string' ||
    (typeof value === 'object' && value !== null && !(value instanceof Date))
  ) {
    try {
      return JSON.stringify(value);
    } catch {
      return Object.prototype.toString.call(value); // cyclic or holding bigints
    }
  }
  return String(value);
}
