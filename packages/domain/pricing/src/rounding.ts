import { InvalidFactorError, InvalidRoundingModeError } from './errors';
import { bigintToSafeNumber } from './integers';

/**
 * How a quotient that falls between two integers is rounded.
 * - half_even: to the nearest integer, ties to the even one (banker's rounding; the default)
 * - half_up:   to the nearest integer, ties away from zero (commercial rounding)
 * - half_down: to the nearest integer, ties toward zero
 * - floor:     toward negative infinity
 * - ceil:      toward positive infinity
 * - truncate:  toward zero
 */
export type RoundingMode = 'half_even' | 'half_up' | 'half_down' | 'floor' | 'ceil' | 'truncate';

export const ROUNDING_MODES: readonly RoundingMode[] = Object.freeze([
  'half_even',
  'half_up',
  'half_down',
  'floor',
  'ceil',
  'truncate',
]);

export const DEFAULT_ROUNDING: RoundingMode = 'half_even';

export function assertRoundingMode(mode: unknown): asserts mode is RoundingMode {
  if (!ROUNDING_MODES.includes(mode as RoundingMode))
    throw new InvalidRoundingModeError(mode, ROUNDING_MODES);
}

/**
 * Whether a truncated quotient must move one step away from zero.
 * @param halfComparison sign of (2·|remainder| − |divisor|): below, at or above one half
 */
function stepsAwayFromZero(
  mode: RoundingMode,
  negative: boolean,
  halfComparison: number,
  truncatedIsOdd: boolean,
): boolean {
  switch (mode) {
    case 'truncate':
      return false;
    case 'floor':
      return negative;
    case 'ceil':
      return !negative;
    case 'half_up':
      return halfComparison >= 0;
    case 'half_down':
      return halfComparison > 0;
    case 'half_even':
      return halfComparison > 0 || (halfComparison === 0 && truncatedIsOdd);
  }
}

/** numerator / denominator rounded to an integer with `mode`; exact for any size and either sign. */
export function divideRounded(
  numerator: bigint,
  denominator: bigint,
  mode: RoundingMode = DEFAULT_ROUNDING,
): bigint {
  assertRoundingMode(mode);
  if (denominator === 0n) throw new InvalidFactorError(`cannot divide ${numerator} by zero`);
  if (denominator < 0n) {
    numerator = -numerator;
    denominator = -denominator;
  }
  const truncated = numerator / denominator;
  const remainder = numerator % denominator;
  if (remainder === 0n) return truncated;
  const negative = numerator < 0n;
  const twiceRemainder = negative ? -2n * remainder : 2n * remainder;
  const halfComparison = twiceRemainder === denominator ? 0 : twiceRemainder > denominator ? 1 : -1;
  const away = stepsAwayFromZero(mode, negative, halfComparison, (truncated & 1n) === 1n);
  if (!away) return truncated;
  return negative ? truncated - 1n : truncated + 1n;
}

/**
 * The same on safe integers without BigInt. `%` and the division of an exact multiple are exact on
 * doubles, so no precision is lost while both operands are safe integers.
 */
function divideRoundedSafe(numerator: number, denominator: number, mode: RoundingMode): number {
  if (denominator < 0) {
    numerator = -numerator;
    denominator = -denominator;
  }
  const remainder = numerator % denominator;
  const truncated = (numerator - remainder) / denominator;
  if (remainder === 0) return truncated + 0; // + 0 turns -0 into 0
  const negative = numerator < 0;
  const twiceRemainder = negative ? -2 * remainder : 2 * remainder;
  const halfComparison = twiceRemainder === denominator ? 0 : twiceRemainder > denominator ? 1 : -1;
  const away = stepsAwayFromZero(mode, negative, halfComparison, truncated % 2 !== 0);
  if (!away) return truncated + 0;
  return negative ? truncated - 1 : truncated + 1;
}

/**
 * value × multiplier / divisor, rounded, for safe integers. Stays on doubles while the product is a
 * safe integer (the hot path) and falls back to BigInt when it is not, so the result is always exact.
 * Throws OverflowError when the rounded result itself is not a safe integer.
 */
export function multiplyDivide(
  value: number,
  multiplier: number,
  divisor: number,
  mode: RoundingMode,
  what: string,
): number {
  if (divisor === 0) throw new InvalidFactorError(`${what}: cannot divide by zero`);
  const product = value * multiplier;
  if (Number.isSafeInteger(product)) return divideRoundedSafe(product, divisor, mode);
  return bigintToSafeNumber(divideRounded(BigInt(value) * BigInt(multiplier), BigInt(divisor), mode), what);
}

/** value × numerator / denominator, rounded, where the fraction may hold integers beyond 2^53. */
export function multiplyDivideBig(
  value: number,
  numerator: bigint,
  denominator: bigint,
  mode: RoundingMode,
  what: string,
): number {
  if (isSafeBigint(numerator) && isSafeBigint(denominator)) {
    return multiplyDivide(value, Number(numerator), Number(denominator), mode, what);
  }
  if (denominator === 0n) throw new InvalidFactorError(`${what}: cannot divide by zero`);
  return bigintToSafeNumber(divideRounded(BigInt(value) * numerator, denominator, mode), what);
}

const MAX_SAFE_BIGINT = BigInt(Number.MAX_SAFE_INTEGER);

function isSafeBigint(value: bigint): boolean {
  return value <= MAX_SAFE_BIGINT && value >= -MAX_SAFE_BIGINT;
}
