import { parseDecimal } from './decimal';
import { InvalidAllocationError } from './errors';
import { bigintToSafeNumber, describe } from './integers';
import { type Money, assertMoney, unsafeMoney } from './money';
import { divideRounded } from './rounding';

/** A share in an allocation: a non-negative safe integer (80, 20) or a non-negative decimal string ("0.8"). */
export type Ratio = number | string;

/**
 * Splits `total` into one amount per ratio, proportionally, with no minor unit lost or created
 * (largest remainder method): every share is the exact proportional value rounded down, then the
 * leftover units go one each to the shares with the largest remainders, earlier shares first on ties.
 * A negative total is split as its absolute value and negated, so allocate(-x) = -allocate(x).
 *
 * allocate(money(100, 'USD'), [1, 1, 1]) → 34, 33, 33 cents.
 */
export function allocate(total: Money, ratios: readonly Ratio[]): Money[] {
  assertMoney(total, 'total');
  const weights = ratiosToWeights(ratios);
  const shares = allocateUnits(BigInt(total.amountMinor), weights);
  return shares.map((share) => unsafeMoney(bigintToSafeNumber(share, 'allocate'), total.currency));
}

/** Allocation on integers: `total` split by non-negative `weights` whose sum is positive. */
export function allocateUnits(total: bigint, weights: readonly bigint[]): bigint[] {
  let weightSum = 0n;
  for (const weight of weights) weightSum += weight;
  if (weightSum === 0n) throw new InvalidAllocationError('cannot allocate: all ratios are zero');
  const magnitude = total < 0n ? -total : total;
  const shares = roundToTotal(
    weights.map((weight) => magnitude * weight),
    weightSum,
    magnitude,
  );
  return total < 0n ? shares.map((share) => -share) : shares;
}

/**
 * Rounds exact values numerators[i] / denominator to integers that add up to `total`, each within one
 * unit of its exact value: every value is floored, then the units still missing go one each to the
 * values with the largest fractional parts (earlier first on ties). `total` must lie between the sum of
 * the floors and that sum plus the number of values, which holds whenever it is a rounding of the exact sum.
 */
export function roundToTotal(numerators: readonly bigint[], denominator: bigint, total: bigint): bigint[] {
  const floors = numerators.map((numerator) => divideRounded(numerator, denominator, 'floor'));
  let missing = total;
  for (const floor of floors) missing -= floor;
  if (missing < 0n || missing > BigInt(floors.length)) {
    throw new InvalidAllocationError(`cannot round ${numerators.length} values to a total of ${total}`);
  }
  if (missing === 0n) return floors;
  const order = floors
    .map((floor, index) => ({ index, fraction: numerators[index] - floor * denominator }))
    .sort((a, b) => (a.fraction === b.fraction ? a.index - b.index : a.fraction > b.fraction ? -1 : 1));
  for (let i = 0; i < Number(missing); i++) floors[order[i].index] += 1n;
  return floors;
}

function ratiosToWeights(ratios: readonly Ratio[]): bigint[] {
  if (!Array.isArray(ratios) || ratios.length === 0) {
    throw new InvalidAllocationError('cannot allocate: at least one ratio is needed');
  }
  const parsed = ratios.map((ratio, index) => parseRatio(ratio, index));
  const scale = Math.max(...parsed.map((ratio) => ratio.fractionDigits.length));
  return parsed.map(({ integerDigits, fractionDigits }) =>
    BigInt(integerDigits + fractionDigits.padEnd(scale, '0')),
  );
}

function parseRatio(ratio: Ratio, index: number): { integerDigits: string; fractionDigits: string } {
  if (typeof ratio === 'number') {
    if (!Number.isSafeInteger(ratio) || ratio < 0) {
      throw new InvalidAllocationError(
        `ratio ${describe(ratio)} at index ${index} must be a non-negative safe integer or a decimal string`,
      );
    }
    return { integerDigits: String(ratio), fractionDigits: '' };
  }
  const decimal = parseDecimal(ratio, `ratio at index ${index}`);
  if (decimal.negative) throw new InvalidAllocationError(`ratio "${ratio}" at index ${index} is negative`);
  return decimal;
}
