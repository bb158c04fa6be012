import type { PriceView, ProductKind, ProductView } from '@astrix/contracts';
import { compare, money, parseCurrencyCode } from '@astrix/pricing';
import type { Price } from './price.entity';
import type { Product } from './product.entity';

/** Every product kind, in the order the catalog lists them. */
export const PRODUCT_KINDS = [
  'evaluation',
  'instant_funded',
  'reset',
  'subscription',
  'add_on',
] as const satisfies readonly ProductKind[];

// Fails to compile when contracts gain a kind this list lacks.
type MissingKinds = Exclude<ProductKind, (typeof PRODUCT_KINDS)[number]>;
const everyKindListed: [MissingKinds] extends [never] ? true : MissingKinds = true;
void everyKindListed;

/** What staff see: the public view plus the handle and timestamps. */
export interface ProductDetails extends ProductView {
  slug: string;
  createdAt: string;
  updatedAt: string;
}

export function toPriceView(price: Price): PriceView {
  return {
    id: price.id,
    currency: price.currency,
    unitAmount: price.unitAmount,
    recurring:
      price.recurringInterval === null
        ? null
        : { interval: price.recurringInterval, intervalCount: price.recurringIntervalCount ?? 1 },
  };
}

export function toProductView(product: Product, prices: Price[]): ProductView {
  return {
    id: product.id,
    kind: product.kind,
    name: product.name,
    description: product.description,
    attributes: product.attributes,
    status: product.status,
    prices: [...prices].sort((a, b) => a.currency.localeCompare(b.currency)).map(toPriceView),
  };
}

export function toProductDetails(product: Product, prices: Price[]): ProductDetails {
  return {
    ...toProductView(product, prices),
    slug: product.slug,
    createdAt: product.createdAt.toISOString(),
    updatedAt: product.updatedAt.toISOString(),
  };
}

type Amount = Pick<PriceView, 'currency' | 'unitAmount'>;

/** Cheapest first; prices of one currency compare as Money so no amount is handled by hand. */
export function byUnitAmount(a: Amount, b: Amount): number {
  const currency = parseCurrencyCode(a.currency);
  return compare(money(a.unitAmount, currency), money(b.unitAmount, currency));
}
