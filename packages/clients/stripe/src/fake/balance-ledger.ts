import type Stripe from 'stripe';
import { invalidRequest } from './api-error';

export const DAY_SECONDS = 86_400;

/** 00:00 UTC of the day holding `seconds` (Unix seconds). */
export function dayStart(seconds: number): number {
  return seconds - (((seconds % DAY_SECONDS) + DAY_SECONDS) % DAY_SECONDS);
}

/**
 * One balance transaction as the fake keeps it: compact (a day of a million must fit), turned
 * into a `Stripe.BalanceTransaction` only when served. `net` is `amount − fee`; `status` follows
 * from `availableOn` and the clock.
 */
export interface LedgerEntry {
  readonly id: string;
  /** Insertion order: breaks ties between entries created in the same second. */
  readonly seq: number;
  readonly created: number;
  readonly availableOn: number;
  readonly type: Stripe.BalanceTransaction.Type;
  /** Stripe's reporting_category: charge, refund, dispute, dispute_reversal, payout, transfer, fee… */
  readonly reportingCategory: string;
  readonly amount: number;
  /** Mutable: the fee-change discrepancy control rewrites it. */
  fee: number;
  readonly feeDescription: string | null;
  /** Lowercase, as Stripe. */
  readonly currency: string;
  readonly description: string | null;
  readonly source: string | null;
  /** The charge and payment intent behind the source (a refund's or dispute's charge). */
  readonly chargeId: string | null;
  readonly paymentIntentId: string | null;
  /** The automatic payout that swept this entry into the bank; null while still in the balance. */
  payoutId: string | null;
  /** Made by the bulk-seed control: no Stripe object stands behind its source. */
  readonly synthetic: boolean;
  /**
   * Set when the movement was converted from its presentment currency into the account's settlement
   * currency (`amount`, `fee`, `currency` are then the settlement's): 1 presentment unit = this many
   * settlement units, as Stripe's `exchange_rate`.
   */
  readonly exchangeRate: number | null;
}

export type NewLedgerEntry = Omit<LedgerEntry, 'seq' | 'payoutId' | 'exchangeRate'> & {
  exchangeRate?: number | null;
};

export interface LedgerQuery {
  createdGte?: number;
  createdLt?: number;
  type?: string;
  payout?: string;
  currency?: string;
  startingAfter?: string;
  limit: number;
}

/**
 * A literal with every field in one order: all entries share one hidden class (a spread made
 * them slow dictionary objects, ten times slower to sort and scan at a million).
 */
function toEntry(fields: NewLedgerEntry, seq: number): LedgerEntry {
  return {
    id: fields.id,
    seq,
    created: fields.created,
    availableOn: fields.availableOn,
    type: fields.type,
    reportingCategory: fields.reportingCategory,
    amount: fields.amount,
    fee: fields.fee,
    feeDescription: fields.feeDescription,
    currency: fields.currency,
    description: fields.description,
    source: fields.source,
    chargeId: fields.chargeId,
    paymentIntentId: fields.paymentIntentId,
    payoutId: null,
    synthetic: fields.synthetic,
    exchangeRate: fields.exchangeRate ?? null,
  };
}

/** Ascending by (created, seq); listings read it backwards (newest first). */
function before(a: LedgerEntry, b: { created: number; seq: number }): boolean {
  return a.created < b.created || (a.created === b.created && a.seq < b.seq);
}

/** First index whose entry is not before `key`. */
function lowerBound(entries: readonly LedgerEntry[], key: { created: number; seq: number }): number {
  let low = 0;
  let high = entries.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (before(entries[middle] as LedgerEntry, key)) low = middle + 1;
    else high = middle;
  }
  return low;
}

function insertSorted(entries: LedgerEntry[], entry: LedgerEntry): void {
  const last = entries[entries.length - 1];
  if (last === undefined || before(last, entry)) entries.push(entry);
  else entries.splice(lowerBound(entries, entry), 0, entry);
}

function removeSorted(entries: LedgerEntry[], entry: LedgerEntry): void {
  const index = lowerBound(entries, entry);
  if (entries[index] === entry) entries.splice(index, 1);
}

/** Merges two ascending runs into one, O(n + m). */
function mergeSorted(left: readonly LedgerEntry[], right: readonly LedgerEntry[]): LedgerEntry[] {
  const merged: LedgerEntry[] = new Array<LedgerEntry>(left.length + right.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < left.length && j < right.length) {
    const a = left[i] as LedgerEntry;
    const b = right[j] as LedgerEntry;
    if (before(b, a)) {
      merged[k++] = b;
      j++;
    } else {
      merged[k++] = a;
      i++;
    }
  }
  while (i < left.length) merged[k++] = left[i++] as LedgerEntry;
  while (j < right.length) merged[k++] = right[j++] as LedgerEntry;
  return merged;
}

/**
 * The account's balance transactions, sorted by creation, with indexes by id, source, type and
 * payout. Listing a created range is two binary searches; a cursor is found by id and binary
 * search; pages are read downwards from there, so walking a day costs O(n) in all.
 */
export class BalanceLedger {
  private all: LedgerEntry[] = [];
  private readonly byId = new Map<string, LedgerEntry>();
  private readonly bySource = new Map<string, LedgerEntry[]>();
  private byType = new Map<string, LedgerEntry[]>();
  private readonly byPayout = new Map<string, LedgerEntry[]>();
  private nextSeq = 1;

  get size(): number {
    return this.all.length;
  }

  add(fields: NewLedgerEntry): LedgerEntry {
    if (this.byId.has(fields.id)) throw new Error(`Balance transaction ${fields.id} already exists`);
    const entry = toEntry(fields, this.nextSeq++);
    insertSorted(this.all, entry);
    insertSorted(this.typeList(entry.type), entry);
    this.index(entry);
    return entry;
  }

  /** Adds many entries at once (the bulk seed), merged in O(n + m). */
  addMany(fields: Iterable<NewLedgerEntry>): LedgerEntry[] {
    const added: LedgerEntry[] = [];
    for (const field of fields) {
      if (this.byId.has(field.id)) throw new Error(`Balance transaction ${field.id} already exists`);
      const entry = toEntry(field, this.nextSeq++);
      added.push(entry);
      this.index(entry);
    }
    if (added.some((entry, index) => index > 0 && before(entry, added[index - 1] as LedgerEntry))) {
      added.sort((a, b) => (before(a, b) ? -1 : before(b, a) ? 1 : 0));
    }
    this.all = mergeSorted(this.all, added);
    const addedByType = new Map<string, LedgerEntry[]>();
    for (const entry of added) {
      const list = addedByType.get(entry.type) ?? [];
      list.push(entry);
      addedByType.set(entry.type, list);
    }
    for (const [type, list] of addedByType) this.byType.set(type, mergeSorted(this.typeList(type), list));
    return added;
  }

  remove(entry: LedgerEntry): void {
    removeSorted(this.all, entry);
    removeSorted(this.typeList(entry.type), entry);
    if (entry.payoutId !== null) removeSorted(this.byPayout.get(entry.payoutId) ?? [], entry);
    this.byId.delete(entry.id);
    if (entry.source !== null) {
      const remaining = (this.bySource.get(entry.source) ?? []).filter((candidate) => candidate !== entry);
      if (remaining.length === 0) this.bySource.delete(entry.source);
      else this.bySource.set(entry.source, remaining);
    }
  }

  get(id: string): LedgerEntry | undefined {
    return this.byId.get(id);
  }

  /** The entries whose source is this charge, refund, dispute, payout or transfer, oldest first. */
  ofSource(sourceId: string): readonly LedgerEntry[] {
    return this.bySource.get(sourceId) ?? [];
  }

  /** Every entry, oldest first. */
  entries(): readonly LedgerEntry[] {
    return this.all;
  }

  /** Links entries (ascending) to the automatic payout that swept them. */
  sweep(payoutId: string, entries: readonly LedgerEntry[]): void {
    const list = this.byPayout.get(payoutId) ?? [];
    for (const entry of entries) {
      entry.payoutId = payoutId;
      insertSorted(list, entry);
    }
    this.byPayout.set(payoutId, list);
  }

  /** Newest first, Stripe's cursor pagination over the narrowest index that fits the query. */
  list(query: LedgerQuery): { data: LedgerEntry[]; hasMore: boolean } {
    const base =
      query.payout !== undefined
        ? (this.byPayout.get(query.payout) ?? [])
        : query.type !== undefined
          ? this.typeList(query.type)
          : this.all;
    const matches = (entry: LedgerEntry): boolean =>
      (query.type === undefined || entry.type === query.type) &&
      (query.currency === undefined || entry.currency === query.currency);
    const low = query.createdGte === undefined ? 0 : lowerBound(base, { created: query.createdGte, seq: 0 });
    let high =
      query.createdLt === undefined ? base.length : lowerBound(base, { created: query.createdLt, seq: 0 });
    if (query.startingAfter !== undefined) {
      const cursor = this.byId.get(query.startingAfter);
      if (cursor === undefined) {
        throw invalidRequest(
          `No such balance transaction: '${query.startingAfter}'`,
          'starting_after',
          'resource_missing',
        );
      }
      high = Math.min(high, lowerBound(base, cursor));
    }
    const data: LedgerEntry[] = [];
    let index = high - 1;
    for (; index >= low && data.length < query.limit; index--) {
      const entry = base[index] as LedgerEntry;
      if (matches(entry)) data.push(entry);
    }
    let hasMore = false;
    for (; index >= low; index--) {
      if (matches(base[index] as LedgerEntry)) {
        hasMore = true;
        break;
      }
    }
    return { data, hasMore };
  }

  clear(): void {
    this.all = [];
    this.byId.clear();
    this.bySource.clear();
    this.byType = new Map();
    this.byPayout.clear();
  }

  private typeList(type: string): LedgerEntry[] {
    let list = this.byType.get(type);
    if (list === undefined) {
      list = [];
      this.byType.set(type, list);
    }
    return list;
  }

  private index(entry: LedgerEntry): void {
    this.byId.set(entry.id, entry);
    if (entry.source === null) return;
    const list = this.bySource.get(entry.source);
    if (list === undefined) this.bySource.set(entry.source, [entry]);
    else list.push(entry);
  }
}

/** The entry as Stripe serves it, with its status at `now` (Unix seconds). */
export function presentEntry(entry: LedgerEntry, now: number): Stripe.BalanceTransaction {
  return {
    id: entry.id,
    object: 'balance_transaction',
    amount: entry.amount,
    available_on: entry.availableOn,
    balance_type: 'payments',
    created: entry.created,
    currency: entry.currency,
    description: entry.description,
    exchange_rate: entry.exchangeRate,
    fee: entry.fee,
    fee_details:
      entry.fee === 0
        ? []
        : [
            {
              amount: entry.fee,
              application: null,
              currency: entry.currency,
              description: entry.feeDescription ?? 'Stripe processing fees',
              type: 'stripe_fee',
            },
          ],
    net: entry.amount - entry.fee,
    reporting_category: entry.reportingCategory,
    source: entry.source,
    status: entry.availableOn <= now ? 'available' : 'pending',
    type: entry.type,
  };
}
