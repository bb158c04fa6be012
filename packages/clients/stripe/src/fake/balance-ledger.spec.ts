import { BalanceLedger, type LedgerEntry, type NewLedgerEntry } from './balance-ledger';

let counter = 0;
function entry(created: number, type: 'charge' | 'refund' = 'charge', currency = 'usd'): NewLedgerEntry {
  counter++;
  return {
    id: `txn_${String(counter).padStart(8, '0')}`,
    created,
    availableOn: created,
    type,
    reportingCategory: type,
    amount: type === 'charge' ? 100 : -100,
    fee: 0,
    feeDescription: null,
    currency,
    description: null,
    source: `${type === 'charge' ? 'ch' : 're'}_${counter}`,
    chargeId: null,
    paymentIntentId: null,
    synthetic: true,
  };
}

/** Deterministic pseudo-random integers for the shuffles. */
function numbers(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state;
  };
}

/** What a page walk must return: the matching entries, newest first (ties: last inserted first). */
function naive(
  entries: readonly LedgerEntry[],
  filter: { gte?: number; lt?: number; type?: string; currency?: string },
): string[] {
  return [...entries]
    .filter(
      (e) =>
        (filter.gte === undefined || e.created >= filter.gte) &&
        (filter.lt === undefined || e.created < filter.lt) &&
        (filter.type === undefined || e.type === filter.type) &&
        (filter.currency === undefined || e.currency === filter.currency),
    )
    .sort((a, b) => b.created - a.created || b.seq - a.seq)
    .map((e) => e.id);
}

function walk(
  ledger: BalanceLedger,
  query: { createdGte?: number; createdLt?: number; type?: string; payout?: string; currency?: string },
  limit: number,
): string[] {
  const ids: string[] = [];
  let startingAfter: string | undefined;
  for (let pages = 0; pages < 10_000; pages++) {
    const page = ledger.list({ ...query, startingAfter, limit });
    ids.push(...page.data.map((e) => e.id));
    if (!page.hasMore) return ids;
    startingAfter = page.data[page.data.length - 1]?.id;
  }
  throw new Error('too many pages');
}

describe('BalanceLedger', () => {
  it('pages any created range, type and currency like a sorted filter, whatever the insertion order', () => {
    const ledger = new BalanceLedger();
    const next = numbers(7);
    const added: LedgerEntry[] = [];
    for (let i = 0; i < 700; i++) {
      added.push(
        ledger.add(
          entry(
            1_000 + (next() % 300),
            next() % 4 === 0 ? 'refund' : 'charge',
            next() % 3 === 0 ? 'eur' : 'usd',
          ),
        ),
      );
    }
    added.push(...ledger.addMany(Array.from({ length: 400 }, (_, i) => entry(1_050 + Math.floor(i / 2)))));

    for (const query of [
      {},
      { gte: 1_100, lt: 1_200 },
      { gte: 1_050 },
      { lt: 1_051 },
      { type: 'refund', gte: 1_010, lt: 1_290 },
      { currency: 'eur' },
      { gte: 5_000 },
    ]) {
      for (const limit of [1, 7, 100]) {
        expect(
          walk(
            ledger,
            { createdGte: query.gte, createdLt: query.lt, type: query.type, currency: query.currency },
            limit,
          ),
        ).toEqual(naive(added, query));
      }
    }
    expect(ledger.size).toBe(1_100);
  });

  it('forgets a removed entry everywhere and keeps the rest in order', () => {
    const ledger = new BalanceLedger();
    const kept = [ledger.add(entry(10)), ledger.add(entry(20, 'refund')), ledger.add(entry(30))];
    const removed = kept.splice(1, 1)[0] as LedgerEntry;
    ledger.sweep('po_1', [...kept, removed]);

    ledger.remove(removed);

    expect(walk(ledger, {}, 10)).toEqual([kept[1]?.id, kept[0]?.id]);
    expect(walk(ledger, { type: 'refund' }, 10)).toEqual([]);
    expect(walk(ledger, { payout: 'po_1' }, 10)).toEqual([kept[1]?.id, kept[0]?.id]);
    expect(ledger.get(removed.id)).toBeUndefined();
    expect(ledger.ofSource(removed.source ?? '')).toEqual([]);
  });

  it('lists what a payout swept, and refuses an unknown cursor', () => {
    const ledger = new BalanceLedger();
    const [a, b, c] = [ledger.add(entry(1)), ledger.add(entry(2)), ledger.add(entry(3))] as LedgerEntry[];
    ledger.sweep('po_x', [c as LedgerEntry, a as LedgerEntry]);

    expect(walk(ledger, { payout: 'po_x' }, 1)).toEqual([c?.id, a?.id]);
    expect(b?.payoutId).toBeNull();
    expect(() => ledger.list({ startingAfter: 'txn_missing', limit: 10 })).toThrow(
      /No such balance transaction/,
    );
  });

  it('walks a day of 200,000 entries page by page without rescanning', () => {
    const ledger = new BalanceLedger();
    ledger.addMany(
      Array.from({ length: 200_000 }, (_, i) => entry(86_400 + Math.floor((i * 86_400) / 200_000))),
    );

    const ids = walk(ledger, { createdGte: 86_400, createdLt: 2 * 86_400 }, 100);

    expect(ids).toHaveLength(200_000);
    expect(new Set(ids).size).toBe(200_000);
  });
});
