import { allocateUnits, roundToTotal } from './allocate';
import { type CurrencyCode, getCurrency } from './currency';
import { type Fraction, type Percentage, percentageToFraction } from './decimal';
import { CurrencyMismatchError, InvalidPayoutConfigError } from './errors';
import {
  addFractions,
  compareFractions,
  divideFractions,
  fraction,
  multiplyFractions,
  overCommonDenominator,
  subtractFractions,
} from './fraction';
import { bigintToSafeNumber, describe } from './integers';
import { type Money, assertMoney, minorUnitsToDecimal, unsafeMoney } from './money';

export interface PayoutSplitTier {
  /** Cumulative amount paid to the trader from which this tier applies; the first tier starts at 0. */
  readonly fromCumulative: Money;
  /** The trader's share of profit in this tier: "80" is an 80/20 split. */
  readonly traderSharePercent: Percentage;
}

export interface PayoutSplitInput {
  /** Profit of the cycle to split between trader and firm. */
  readonly profit: Money;
  /** Split tiers by cumulative payouts to the trader, ascending; e.g. 80 % until $10,000 paid, then 90 %. */
  readonly splitTiers: readonly PayoutSplitTier[];
  /** Trader shares paid by earlier payouts (fee refunds excluded). */
  readonly cumulativePaidToTrader: Money;
  /** Below this trader amount nothing is paid this time. */
  readonly minimumPayout?: Money;
  /** Most the trader may receive per payout cycle; null or absent for no cap. */
  readonly capPerCycle?: Money | null;
  /** Already paid to the trader in the current cycle (counts against the cap). */
  readonly paidThisCycle?: Money;
  readonly isFirstPayout: boolean;
  /** Evaluation fee the trader paid; refunded with the first payout. */
  readonly evaluationFeePaid?: Money;
}

export type PayoutStatus = 'payable' | 'no_profit' | 'cap_reached' | 'below_minimum';

/** The part of the profit split at one tier's share. */
export interface PayoutSegment {
  readonly tierIndex: number;
  readonly traderSharePercent: Percentage;
  readonly profit: Money;
  readonly traderAmount: Money;
  readonly firmAmount: Money;
}

export interface PayoutSplit {
  readonly status: PayoutStatus;
  readonly message: string;
  /** The trader's share of the profit, before cap and minimum. */
  readonly traderAmount: Money;
  /** profit − traderAmount. */
  readonly firmAmount: Money;
  readonly segments: readonly PayoutSegment[];
  /** Trader share withheld because of the per-cycle cap. */
  readonly withheldByCap: Money;
  /** Trader share paid now: after the cap, zero when below the minimum. */
  readonly payableToTrader: Money;
  /** Evaluation fee refunded now (first payout only, and only when something is paid). */
  readonly feeRefund: Money;
  /** payableToTrader + feeRefund. */
  readonly totalPayout: Money;
}

interface ExactSegment {
  readonly tierIndex: number;
  readonly traderSharePercent: Percentage;
  readonly trader: Fraction;
  readonly firm: Fraction;
}

/**
 * Splits a cycle's profit between trader and firm with tiers by cumulative payouts. When a payout crosses
 * a tier boundary, the profit that brings the trader to the boundary is split at the old share and the
 * rest at the new one, exactly; trader and firm amounts are then rounded by largest remainder (allocate),
 * so they add up to the profit. The per-cycle cap and the minimum payout come after the split; the
 * evaluation fee is refunded on top of the first payout.
 */
export function computePayoutSplit(input: PayoutSplitInput): PayoutSplit {
  const { profit, isFirstPayout } = input;
  assertMoney(profit, 'profit');
  const currency = profit.currency;
  const tiers = checkedTiers(input.splitTiers, currency);
  const cumulative = amountOf(input.cumulativePaidToTrader, 'cumulativePaidToTrader', currency);
  const minimum = amountOf(input.minimumPayout, 'minimumPayout', currency, 0);
  const cap = input.capPerCycle == null ? null : amountOf(input.capPerCycle, 'capPerCycle', currency);
  const paidThisCycle = amountOf(input.paidThisCycle, 'paidThisCycle', currency, 0);
  const fee = amountOf(input.evaluationFeePaid, 'evaluationFeePaid', currency, 0);
  if (typeof isFirstPayout !== 'boolean') {
    throw new InvalidPayoutConfigError(`isFirstPayout ${describe(isFirstPayout)} must be a boolean`);
  }
  const money = (amount: number): Money => unsafeMoney(amount, currency);
  const format = (amount: number): string =>
    `${minorUnitsToDecimal(amount, getCurrency(currency).exponent)} ${currency}`;

  if (profit.amountMinor <= 0) {
    return result('no_profit', `no profit to split (${format(profit.amountMinor)})`, 0, 0, [], 0, 0, 0);
  }
  const exact = splitExactly(BigInt(profit.amountMinor), BigInt(cumulative), tiers);
  const traderExact = exact.reduce((acc, segment) => addFractions(acc, segment.trader), fraction(0n));
  const [trader, firm] = allocateUnits(BigInt(profit.amountMinor), [
    traderExact.numerator,
    BigInt(profit.amountMinor) * traderExact.denominator - traderExact.numerator,
  ]);
  const segments = segmentAmounts(exact, trader, firm, money);
  const traderAmount = Number(trader);
  const firmAmount = Number(firm);

  const payable = cap === null ? traderAmount : Math.min(traderAmount, Math.max(cap - paidThisCycle, 0));
  const withheld = traderAmount - payable;
  if (cap !== null && payable === 0 && withheld > 0) {
    return result(
      'cap_reached',
      `the cycle cap of ${format(cap)} is reached (${format(paidThisCycle)} paid this cycle)`,
      traderAmount,
      firmAmount,
      segments,
      withheld,
      0,
      0,
    );
  }
  if (payable < minimum) {
    return result(
      'below_minimum',
      `trader amount ${format(payable)} is below the minimum payout of ${format(minimum)}`,
      traderAmount,
      firmAmount,
      segments,
      withheld,
      0,
      0,
    );
  }
  const feeRefund = isFirstPayout ? fee : 0;
  return result(
    'payable',
    `pay ${format(payable + feeRefund)}`,
    traderAmount,
    firmAmount,
    segments,
    withheld,
    payable,
    feeRefund,
  );

  function result(
    status: PayoutStatus,
    message: string,
    traderTotal: number,
    firmTotal: number,
    parts: readonly PayoutSegment[],
    withheldByCap: number,
    payableToTrader: number,
    refund: number,
  ): PayoutSplit {
    return {
      status,
      message,
      traderAmount: money(traderTotal),
      firmAmount: money(firmTotal),
      segments: parts,
      withheldByCap: money(withheldByCap),
      payableToTrader: money(payableToTrader),
      feeRefund: money(refund),
      totalPayout: money(bigintToSafeNumber(BigInt(payableToTrader) + BigInt(refund), 'total payout')),
    };
  }
}

interface CheckedTier {
  readonly from: bigint;
  readonly share: Fraction;
  readonly percent: Percentage;
}

/** Walks the tiers from the trader's cumulative position, splitting the profit exactly at each boundary. */
function splitExactly(profit: bigint, cumulative: bigint, tiers: readonly CheckedTier[]): ExactSegment[] {
  let index = tiers.length - 1;
  while (tiers[index].from > cumulative) index--;
  let remainingProfit = fraction(profit);
  let position = fraction(cumulative);
  const segments: ExactSegment[] = [];
  for (; ; index++) {
    const { share, percent } = tiers[index];
    const traderIfAll = multiplyFractions(remainingProfit, share);
    const next = index + 1 < tiers.length ? fraction(tiers[index + 1].from) : null;
    if (next === null || compareFractions(addFractions(position, traderIfAll), next) <= 0) {
      segments.push({
        tierIndex: index,
        traderSharePercent: percent,
        trader: traderIfAll,
        firm: subtractFractions(remainingProfit, traderIfAll),
      });
      return segments;
    }
    // The trader reaches the next boundary inside this payout: the share is positive here.
    const traderPart = subtractFractions(next, position);
    const profitPart = divideFractions(traderPart, share);
    segments.push({
      tierIndex: index,
      traderSharePercent: percent,
      trader: traderPart,
      firm: subtractFractions(profitPart, traderPart),
    });
    remainingProfit = subtractFractions(remainingProfit, profitPart);
    position = next;
  }
}

/** Rounds each segment's trader and firm parts so they add up to the rounded totals. */
function segmentAmounts(
  segments: readonly ExactSegment[],
  trader: bigint,
  firm: bigint,
  money: (amount: number) => Money,
): PayoutSegment[] {
  const traders = roundFractions(
    segments.map((segment) => segment.trader),
    trader,
  );
  const firms = roundFractions(
    segments.map((segment) => segment.firm),
    firm,
  );
  return segments.map((segment, index) => ({
    tierIndex: segment.tierIndex,
    traderSharePercent: segment.traderSharePercent,
    profit: money(traders[index] + firms[index]),
    traderAmount: money(traders[index]),
    firmAmount: money(firms[index]),
  }));
}

function roundFractions(values: readonly Fraction[], total: bigint): number[] {
  const { numerators, denominator } = overCommonDenominator(values);
  return roundToTotal(numerators, denominator, total).map(Number);
}

function checkedTiers(tiers: readonly PayoutSplitTier[], currency: CurrencyCode): CheckedTier[] {
  if (!Array.isArray(tiers) || tiers.length === 0) {
    throw new InvalidPayoutConfigError('a payout split needs at least one tier');
  }
  return tiers.map((tier, index) => {
    const from = amountOf(tier?.fromCumulative, `tier ${index + 1} fromCumulative`, currency);
    const share = percentageToFraction(tier.traderSharePercent, `tier ${index + 1} traderSharePercent`);
    if (share.numerator < 0n || share.numerator > share.denominator) {
      throw new InvalidPayoutConfigError(
        `tier ${index + 1} trader share ${tier.traderSharePercent}% must be between 0 and 100`,
      );
    }
    if (index === 0 && from !== 0) {
      throw new InvalidPayoutConfigError(`the first tier must start at 0, not ${from}`);
    }
    if (index > 0 && from <= tiers[index - 1].fromCumulative.amountMinor) {
      throw new InvalidPayoutConfigError(`tier ${index + 1} must start above tier ${index}`);
    }
    return {
      from: BigInt(from),
      share: fraction(share.numerator, share.denominator),
      percent: tier.traderSharePercent,
    };
  });
}

/** A non-negative amount in the payout currency; `fallback` when absent, or an error when there is none. */
function amountOf(value: Money | undefined, what: string, currency: CurrencyCode, fallback?: number): number {
  if (value === undefined) {
    if (fallback === undefined) throw new InvalidPayoutConfigError(`${what} is required`);
    return fallback;
  }
  assertMoney(value, what);
  if (value.currency !== currency) throw new CurrencyMismatchError(currency, value.currency, what);
  if (value.amountMinor < 0) {
    throw new InvalidPayoutConfigError(`${what} ${value.amountMinor} ${currency} must be zero or more`);
  }
  return value.amountMinor;
}
