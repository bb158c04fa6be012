import { type CurrencyCode, getCurrency } from './currency';
import { type CurrencyAmounts, amountIn, optionalAmountIn } from './currency-amounts';
import { type Fraction, type Percentage, percentageToFraction } from './decimal';
import { InvalidPriceError } from './errors';
import { assertQuantity, checkedAdd, checkedMultiply, describe } from './integers';
import { type Money, assertMoney, minorUnitsToDecimal, unsafeMoney } from './money';
import { DEFAULT_ROUNDING, type RoundingMode, assertRoundingMode, multiplyDivideBig } from './rounding';

/** One tier of a graduated or volume price. */
export interface PriceTier {
  /** The last unit (inclusive) this tier covers; null for the final, unbounded tier. */
  readonly upTo: number | null;
  /** Price per unit in this tier; absent means 0. */
  readonly unitAmount?: CurrencyAmounts;
  /** Fixed fee charged once when any unit falls in this tier; absent means 0. */
  readonly flatAmount?: CurrencyAmounts;
}

/** The same amount whatever the quantity. */
export interface FlatPrice {
  readonly model: 'flat';
  readonly amount: CurrencyAmounts;
}

/**
 * Models that price a quantity of units. `freeQuantity` is an allowance deducted from the quantity
 * before the model prices what is left (the billable quantity).
 */
interface UnitPriceBase {
  readonly freeQuantity?: number;
}

/** quantity × unitAmount. */
export interface PerUnitPrice extends UnitPriceBase {
  readonly model: 'per_unit';
  readonly unitAmount: CurrencyAmounts;
}

/** packageAmount per started package of packageSize units (25 units at 10 per package = 3 packages). */
export interface PackagePrice extends UnitPriceBase {
  readonly model: 'package';
  readonly packageSize: number;
  readonly packageAmount: CurrencyAmounts;
}

/** Each unit is priced by the tier it falls in (units 1–10 at one price, 11–100 at the next, ...). */
export interface GraduatedPrice extends UnitPriceBase {
  readonly model: 'graduated';
  readonly tiers: readonly PriceTier[];
}

/** Every unit is priced at the tier the whole quantity reaches. */
export interface VolumePrice extends UnitPriceBase {
  readonly model: 'volume';
  readonly tiers: readonly PriceTier[];
}

/**
 * A percentage of a base amount (a transaction volume, an order value), bounded by an optional minimum
 * and maximum charge. For this model the quantity passed to priceLine IS the base amount, in minor units
 * of the currency; `freeAmount` is the part of the base that is not charged. See pricePercentageOf.
 */
export interface PercentagePrice {
  readonly model: 'percentage';
  readonly percentage: Percentage;
  readonly minimum?: CurrencyAmounts;
  readonly maximum?: CurrencyAmounts;
  readonly freeAmount?: CurrencyAmounts;
  /** Rounding of the percentage to a minor unit; half-even by default. */
  readonly rounding?: RoundingMode;
}

export type Price = FlatPrice | PerUnitPrice | PackagePrice | GraduatedPrice | VolumePrice | PercentagePrice;
export type PriceModel = Price['model'];

export interface PriceTierRange {
  /** Position of the tier in the price's tier list, from 0. */
  readonly index: number;
  readonly firstUnit: number;
  /** null for the unbounded last tier. */
  readonly lastUnit: number | null;
}

/** One human-readable step of a line's price; the amounts of all steps add up to the line amount. */
export interface PriceBreakdownItem {
  readonly description: string;
  /** Units (packages for the package model, base minor units for percentage) this step covers. */
  readonly quantity: number;
  /** Price of one unit or package; null for fees, allowances and adjustments. */
  readonly unitAmount: Money | null;
  readonly amount: Money;
  readonly tier: PriceTierRange | null;
}

export interface PricedLine {
  readonly model: PriceModel;
  readonly quantity: number;
  /** Part of the quantity covered by the free allowance. */
  readonly freeQuantity: number;
  /** quantity − freeQuantity: what the model priced. */
  readonly billableQuantity: number;
  readonly amount: Money;
  readonly breakdown: readonly PriceBreakdownItem[];
}

/**
 * Prices `quantity` units of `price` in `currency`: the line amount and a breakdown per tier.
 *
 * priceLine({ model: 'per_unit', unitAmount: { USD: 500 } }, 3, 'USD').amount → 1500 USD
 *
 * Throws NegativeQuantityError / InvalidQuantityError for bad quantities, CurrencyUnavailableError when
 * the price has no amount in `currency`, InvalidPriceError for malformed prices, OverflowError on overflow.
 */
export function priceLine(price: Price, quantity: number, currency: CurrencyCode): PricedLine {
  const { code, exponent } = getCurrency(currency);
  assertQuantity(quantity, 'quantity');
  assertPriceObject(price);
  const line = new LineBuilder(code, exponent, quantity);
  switch (price.model) {
    case 'flat':
      line.add('Flat fee', quantity, null, amountIn(price.amount, code, 'flat price amount'), null);
      break;
    case 'per_unit':
      pricePerUnit(line.withAllowance(price.freeQuantity), price);
      break;
    case 'package':
      pricePackage(line.withAllowance(price.freeQuantity), price);
      break;
    case 'graduated':
      priceGraduated(line.withAllowance(price.freeQuantity), price);
      break;
    case 'volume':
      priceVolume(line.withAllowance(price.freeQuantity), price);
      break;
    case 'percentage':
      pricePercentage(line, price);
      break;
    default:
      return unknownModel(price);
  }
  return line.build(price.model);
}

/**
 * Checks a price definition once, e.g. when a catalog entry is created: its model, tiers, package size,
 * percentage, allowance and every amount in every currency it lists. priceLine checks what it uses anyway.
 */
export function assertPrice(price: Price): void {
  assertPriceObject(price);
  if (price.model !== 'flat' && price.model !== 'percentage' && price.freeQuantity !== undefined) {
    assertQuantity(price.freeQuantity, 'free quantity');
  }
  switch (price.model) {
    case 'flat':
      return assertAmounts(price.amount, 'flat price amount');
    case 'per_unit':
      return assertAmounts(price.unitAmount, 'unit amount');
    case 'package':
      assertPackageSize(price.packageSize);
      return assertAmounts(price.packageAmount, 'package amount');
    case 'graduated':
    case 'volume':
      assertTiers(price.tiers);
      price.tiers.forEach((tier, index) => {
        if (tier.unitAmount !== undefined) assertAmounts(tier.unitAmount, `tier ${index + 1} unit amount`);
        if (tier.flatAmount !== undefined) assertAmounts(tier.flatAmount, `tier ${index + 1} flat amount`);
      });
      return;
    case 'percentage':
      percentageBounds(price, undefined);
      for (const map of [price.minimum, price.maximum, price.freeAmount]) {
        if (map !== undefined) assertAmounts(map, 'percentage price amount');
      }
      for (const code of Object.keys(price.minimum ?? {}) as CurrencyCode[]) percentageBounds(price, code);
      return;
    default:
      return unknownModel(price);
  }
}

function assertPriceObject(price: unknown): void {
  if (typeof price !== 'object' || price === null)
    throw new InvalidPriceError(`price ${describe(price)} is not an object`);
}

function unknownModel(price: never): never {
  throw new InvalidPriceError(`unknown price model ${describe((price as { model: unknown }).model)}`);
}

function assertAmounts(amounts: CurrencyAmounts, what: string): void {
  if (typeof amounts !== 'object' || amounts === null || Object.keys(amounts).length === 0) {
    throw new InvalidPriceError(`${what} must define an amount in at least one currency`);
  }
  for (const code of Object.keys(amounts)) amountIn(amounts, getCurrency(code).code, what);
}

/** A percentage price applied to a base amount: the quantity is the base in minor units. */
export function pricePercentageOf(price: PercentagePrice, base: Money): PricedLine {
  assertMoney(base, 'base amount');
  if (base.amountMinor < 0) {
    throw new InvalidPriceError(
      `base amount ${base.amountMinor} ${base.currency} of a percentage price is negative`,
    );
  }
  return priceLine(price, base.amountMinor, base.currency);
}

/** Accumulates breakdown items and the checked running total of one line. */
class LineBuilder {
  readonly breakdown: PriceBreakdownItem[] = [];
  private total = 0;
  freeQuantity = 0;
  billableQuantity: number;

  constructor(
    readonly currency: CurrencyCode,
    readonly exponent: number,
    readonly quantity: number,
  ) {
    this.billableQuantity = quantity;
  }

  /** Applies a free allowance of units and records it as a zero-amount step. */
  withAllowance(allowance: number | undefined): this {
    if (allowance === undefined || allowance === 0) return this;
    assertQuantity(allowance, 'free quantity');
    const free = Math.min(allowance, this.quantity);
    this.applyFree(free, `${free} of ${allowance} free units`);
    return this;
  }

  applyFree(free: number, description: string): void {
    this.freeQuantity = free;
    this.billableQuantity = this.quantity - free;
    if (free > 0) this.add(description, free, null, 0, null);
  }

  add(
    description: string,
    quantity: number,
    unitAmount: number | null,
    amount: number,
    tier: PriceTierRange | null,
  ) {
    this.total = checkedAdd(this.total, amount, 'line total');
    this.breakdown.push({
      description,
      quantity,
      unitAmount: unitAmount === null ? null : unsafeMoney(unitAmount, this.currency),
      amount: unsafeMoney(amount, this.currency),
      tier,
    });
  }

  /** "12 × 5.00 USD" */
  times(quantity: number, unitAmount: number): string {
    return `${quantity} × ${this.format(unitAmount)}`;
  }

  format(amountMinor: number): string {
    return `${minorUnitsToDecimal(amountMinor, this.exponent)} ${this.currency}`;
  }

  build(model: PriceModel): PricedLine {
    return {
      model,
      quantity: this.quantity,
      freeQuantity: this.freeQuantity,
      billableQuantity: this.billableQuantity,
      amount: unsafeMoney(this.total, this.currency),
      breakdown: this.breakdown,
    };
  }
}

function multiplyUnits(quantity: number, unitAmount: number): number {
  return checkedMultiply(quantity, unitAmount, 'quantity × unit amount');
}

function pricePerUnit(line: LineBuilder, price: PerUnitPrice): void {
  const unit = amountIn(price.unitAmount, line.currency, 'unit amount');
  const units = line.billableQuantity;
  line.add(line.times(units, unit), units, unit, multiplyUnits(units, unit), null);
}

function pricePackage(line: LineBuilder, price: PackagePrice): void {
  const size = assertPackageSize(price.packageSize);
  const packageAmount = amountIn(price.packageAmount, line.currency, 'package amount');
  const units = line.billableQuantity;
  const remainder = units % size; // integer arithmetic: Math.ceil(units / size) can be off near 2^53
  const packages = (units - remainder) / size + (remainder > 0 ? 1 : 0);
  const description = `${packages} × package of ${size} units at ${line.format(packageAmount)} (${units} units, rounded up)`;
  line.add(description, packages, packageAmount, multiplyUnits(packages, packageAmount), null);
}

function assertPackageSize(size: number): number {
  if (!Number.isSafeInteger(size) || size <= 0) {
    throw new InvalidPriceError(`package size ${describe(size)} must be a positive integer`);
  }
  return size;
}

/** Checks tier bounds: strictly increasing positive integers, with only the last tier unbounded. */
function assertTiers(tiers: readonly PriceTier[]): void {
  if (!Array.isArray(tiers) || tiers.length === 0)
    throw new InvalidPriceError('a tiered price needs at least one tier');
  let previous = 0;
  for (let index = 0; index < tiers.length; index++) {
    const upTo = tiers[index].upTo;
    const last = index === tiers.length - 1;
    if (upTo === null) {
      if (!last) throw new InvalidPriceError(`tier ${index + 1} is unbounded but is not the last tier`);
      continue;
    }
    if (last)
      throw new InvalidPriceError(`the last tier must be unbounded (upTo: null), not ${describe(upTo)}`);
    if (!Number.isSafeInteger(upTo) || upTo <= previous) {
      throw new InvalidPriceError(
        `tier ${index + 1} upTo ${describe(upTo)} must be an integer above the previous bound ${previous}`,
      );
    }
    previous = upTo;
  }
}

function tierAmounts(tier: PriceTier, index: number, currency: CurrencyCode): { unit: number; flat: number } {
  return {
    unit: optionalAmountIn(tier.unitAmount, currency, `tier ${index + 1} unit amount`) ?? 0,
    flat: optionalAmountIn(tier.flatAmount, currency, `tier ${index + 1} flat amount`) ?? 0,
  };
}

function tierRange(index: number, firstUnit: number, upTo: number | null): PriceTierRange {
  return { index, firstUnit, lastUnit: upTo };
}

function describeRange(range: PriceTierRange): string {
  return range.lastUnit === null ? `${range.firstUnit}+` : `${range.firstUnit}–${range.lastUnit}`;
}

function priceGraduated(line: LineBuilder, price: GraduatedPrice): void {
  assertTiers(price.tiers);
  let remaining = line.billableQuantity;
  let firstUnit = 1;
  for (let index = 0; index < price.tiers.length && remaining > 0; index++) {
    const tier = price.tiers[index];
    const capacity = tier.upTo === null ? remaining : tier.upTo - firstUnit + 1;
    const units = Math.min(remaining, capacity);
    const { unit, flat } = tierAmounts(tier, index, line.currency);
    const range = tierRange(index, firstUnit, tier.upTo);
    const label = `Tier ${index + 1} (units ${describeRange(range)})`;
    line.add(`${label}: ${line.times(units, unit)}`, units, unit, multiplyUnits(units, unit), range);
    if (flat > 0) line.add(`${label}: flat fee`, 1, null, flat, range);
    remaining -= units;
    firstUnit += units;
  }
}

function priceVolume(line: LineBuilder, price: VolumePrice): void {
  assertTiers(price.tiers);
  const units = line.billableQuantity;
  if (units === 0) return;
  const { index, firstUnit } = volumeTier(price.tiers, units);
  const tier = price.tiers[index];
  const { unit, flat } = tierAmounts(tier, index, line.currency);
  const range = tierRange(index, firstUnit, tier.upTo);
  const label = `Volume tier ${index + 1} (${describeRange(range)} units)`;
  line.add(`${label}: all ${line.times(units, unit)}`, units, unit, multiplyUnits(units, unit), range);
  if (flat > 0) line.add(`${label}: flat fee`, 1, null, flat, range);
}

/** The tier the whole quantity reaches; the last tier is unbounded, so the search always ends. */
function volumeTier(tiers: readonly PriceTier[], units: number): { index: number; firstUnit: number } {
  let firstUnit = 1;
  for (let index = 0; ; index++) {
    const upTo = tiers[index].upTo;
    if (upTo === null || units <= upTo) return { index, firstUnit };
    firstUnit = upTo + 1;
  }
}

/**
 * Validates a percentage price's rate, rounding and (for one currency) its minimum and maximum charges.
 * Without a currency, only the rate and rounding are checked.
 */
function percentageBounds(
  price: PercentagePrice,
  currency: CurrencyCode | undefined,
): { rate: Fraction; rounding: RoundingMode; minimum?: number; maximum?: number } {
  const rounding = price.rounding ?? DEFAULT_ROUNDING;
  assertRoundingMode(rounding);
  const rate = percentageToFraction(price.percentage, 'price percentage');
  if (rate.numerator < 0n) throw new InvalidPriceError(`price percentage ${price.percentage} is negative`);
  if (currency === undefined) return { rate, rounding };
  const minimum = optionalAmountIn(price.minimum, currency, 'minimum charge');
  const maximum = optionalAmountIn(price.maximum, currency, 'maximum charge');
  if (minimum !== undefined && maximum !== undefined && minimum > maximum) {
    throw new InvalidPriceError(`minimum charge ${minimum} is above maximum charge ${maximum} ${currency}`);
  }
  return { rate, rounding, minimum, maximum };
}

function pricePercentage(line: LineBuilder, price: PercentagePrice): void {
  const { rate, rounding, minimum, maximum } = percentageBounds(price, line.currency);
  const freeAmount = optionalAmountIn(price.freeAmount, line.currency, 'free amount') ?? 0;
  if (freeAmount > 0) {
    const free = Math.min(freeAmount, line.quantity);
    line.applyFree(free, `${line.format(free)} of ${line.format(freeAmount)} free of charge`);
  }
  const base = line.billableQuantity;
  const charge = multiplyDivideBig(base, rate.numerator, rate.denominator, rounding, 'percentage price');
  line.add(`${price.percentage}% of ${line.format(base)}`, base, null, charge, null);
  if (base === 0) return; // nothing to charge: the minimum does not apply to an empty base
  if (minimum !== undefined && charge < minimum) {
    line.add(`Raised to the minimum charge of ${line.format(minimum)}`, 0, null, minimum - charge, null);
  } else if (maximum !== undefined && charge > maximum) {
    line.add(`Capped at the maximum charge of ${line.format(maximum)}`, 0, null, maximum - charge, null);
  }
}
