import type Stripe from 'stripe';
import { invalidRequest, resourceMissing } from './api-error';
import type { FormReader } from './form';

/** One resource type's objects, by id, in creation order. */
export class Collection<T extends { id: string }> {
  private readonly items = new Map<string, T>();

  /** `resourceName` appears in Stripe's "No such <resource>" messages. */
  constructor(readonly resourceName: string) {}

  save(item: T): T {
    this.items.set(item.id, item);
    return item;
  }

  get(id: string): T | undefined {
    return this.items.get(id);
  }

  require(id: string, param = 'id'): T {
    const item = this.items.get(id);
    if (item === undefined) throw resourceMissing(this.resourceName, id, param);
    return item;
  }

  /** Newest first, as Stripe lists. */
  all(): T[] {
    return [...this.items.values()].reverse();
  }

  clear(): void {
    this.items.clear();
  }
}

/** Everything the fake Stripe account holds, in memory. */
export class FakeStripeStore {
  readonly customers = new Collection<Stripe.Customer>('customer');
  readonly checkoutSessions = new Collection<Stripe.Checkout.Session>('checkout session');
  readonly paymentIntents = new Collection<Stripe.PaymentIntent>('payment_intent');
  readonly charges = new Collection<Stripe.Charge>('charge');
  readonly refunds = new Collection<Stripe.Refund>('refund');
  readonly setupIntents = new Collection<Stripe.SetupIntent>('setupintent');
  readonly paymentMethods = new Collection<Stripe.PaymentMethod>('PaymentMethod');
  readonly disputes = new Collection<Stripe.Dispute>('dispute');
  readonly earlyFraudWarnings = new Collection<Stripe.Radar.EarlyFraudWarning>('early fraud warning');
  readonly reviews = new Collection<Stripe.Review>('review');
  readonly transfers = new Collection<Stripe.Transfer>('transfer');
  readonly accounts = new Collection<Stripe.Account>('account');
  readonly billingPortalSessions = new Collection<Stripe.BillingPortal.Session>('billing portal session');
  readonly events = new Collection<Stripe.Event>('event');
  readonly payouts = new Collection<Stripe.Payout>('payout');
  /** Objects kept outside the collections (balance transactions, synthetic sources), for `expand[]`. */
  findElsewhere: (id: string) => { id: string } | undefined = () => undefined;

  private readonly byPrefix: ReadonlyArray<readonly [string, Collection<{ id: string }>]> = [
    ['cus_', this.customers],
    ['cs_', this.checkoutSessions],
    ['pi_', this.paymentIntents],
    ['ch_', this.charges],
    ['re_', this.refunds],
    ['seti_', this.setupIntents],
    ['pm_', this.paymentMethods],
    ['dp_', this.disputes],
    ['issfr_', this.earlyFraudWarnings],
    ['prv_', this.reviews],
    ['tr_', this.transfers],
    ['acct_', this.accounts],
    ['bps_', this.billingPortalSessions],
    ['evt_', this.events],
    ['po_', this.payouts],
  ];

  /** Any stored object by id, for `expand[]`. */
  findById(id: string): { id: string } | undefined {
    const entry = this.byPrefix.find(([prefix]) => id.startsWith(prefix));
    return entry?.[1].get(id) ?? this.findElsewhere(id);
  }

  clear(): void {
    for (const [, collection] of this.byPrefix) collection.clear();
  }
}

const DEFAULT_PAGE_SIZE = 10;
const MAX_PAGE_SIZE = 100;

/** Stripe's cursor pagination: `limit`, `starting_after`, `ending_before` → `{ data, has_more }`. */
export function paginate<T extends { id: string }>(
  items: T[],
  query: FormReader,
  url: string,
): Stripe.ApiList<T> {
  const limit = query.optionalInteger('limit') ?? DEFAULT_PAGE_SIZE;
  if (limit < 1 || limit > MAX_PAGE_SIZE) {
    throw invalidRequest(`Invalid integer: limit must be between 1 and ${MAX_PAGE_SIZE}`, 'limit');
  }
  const startingAfter = query.optionalNonEmptyString('starting_after');
  const endingBefore = query.optionalNonEmptyString('ending_before');
  const indexOfCursor = (id: string, param: string): number => {
    const index = items.findIndex((item) => item.id === id);
    if (index === -1) throw invalidRequest(`No such object: '${id}'`, param, 'resource_missing');
    return index;
  };
  if (endingBefore !== undefined) {
    const end = indexOfCursor(endingBefore, 'ending_before');
    const start = Math.max(0, end - limit);
    return { object: 'list', data: items.slice(start, end), has_more: start > 0, url };
  }
  const start = startingAfter === undefined ? 0 : indexOfCursor(startingAfter, 'starting_after') + 1;
  const data = items.slice(start, start + limit);
  return { object: 'list', data, has_more: start + limit < items.length, url };
}

/** Fields Stripe leaves out of a response unless asked for with `expand[]`. */
const INCLUDABLE_FIELDS: Readonly<Record<string, readonly string[]>> = {
  'checkout.session': ['line_items'],
};

type JsonObject = { [key: string]: unknown };

function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The JSON Stripe would answer with: expandable ids listed in `expand` (dotted paths, `data.`
 * for lists) replaced by the objects, and includable fields dropped unless expanded.
 */
export function presentObject(value: unknown, expand: readonly string[], store: FakeStripeStore): unknown {
  if (!isJsonObject(value)) return value;
  const copy: JsonObject = { ...value };
  if (copy.object === 'list' && Array.isArray(copy.data)) {
    const itemPaths = expand.filter((path) => path.startsWith('data.')).map((path) => path.slice(5));
    copy.data = copy.data.map((item: unknown) => presentObject(item, itemPaths, store));
    return copy;
  }
  const includable = typeof copy.object === 'string' ? (INCLUDABLE_FIELDS[copy.object] ?? []) : [];
  for (const field of includable) {
    if (!expand.includes(field)) delete copy[field];
  }
  const byField = new Map<string, string[]>();
  for (const path of expand) {
    const [field = '', ...rest] = path.split('.');
    byField.set(field, [...(byField.get(field) ?? []), ...(rest.length > 0 ? [rest.join('.')] : [])]);
  }
  for (const [field, nestedPaths] of byField) {
    if (!(field in copy)) continue;
    const current = copy[field];
    const expanded = typeof current === 'string' ? (store.findById(current) ?? current) : current;
    copy[field] = presentObject(expanded, nestedPaths, store);
  }
  return copy;
}
