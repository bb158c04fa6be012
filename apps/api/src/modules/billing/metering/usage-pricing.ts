import { type CurrencyCode, type Price, type PricedLine, priceLine } from '@astrix/pricing';

/**
 * A period's usage of a feature priced by a plan's usage price: the free allowance is the price's own
 * `freeQuantity` when it sets one, else the allowance in force (plan grant or staff override; null =
 * none). Negative totals (corrections beyond the period's usage) price as zero.
 */
export function priceUsage(input: {
  price: Price;
  quantity: number;
  currency: CurrencyCode;
  allowance: number | null;
}): PricedLine {
  const { price } = input;
  const own = 'freeQuantity' in price && price.freeQuantity !== undefined ? price.freeQuantity : undefined;
  const freeQuantity = own ?? input.allowance ?? undefined;
  return priceLine({ ...price, freeQuantity } as Price, Math.max(0, input.quantity), input.currency);
}
