import type { DataSource } from 'typeorm';
import type { ParsedUsageEvent } from './usage-event-parser';

/** Customer references resolve to ids (immutable) and open periods (which only move forward). */
const CUSTOMER_CACHE_MS = 60_000;
const CUSTOMER_CACHE_MAX = 100_000;

export interface ResolvedCustomer {
  customerId: string;
  /** Start of the earliest open subscription period; null without a subscription. */
  openSince: number | null;
  at: number;
}

/**
 * The customers usage events name (our id or their user id), cached for a minute by reference: each
 * batch of a reporter names mostly the same customers.
 */
export class UsageCustomers {
  private readonly customers = new Map<string, ResolvedCustomer>();

  constructor(private readonly dataSource: DataSource) {}

  /**
   * The customer of each event (undefined for an unknown reference), aligned with `events`: one
   * look-up in the cache per event, and one query for the references it does not hold (or holds stale).
   */
  async resolve(
    events: ReadonlyArray<{ event: ParsedUsageEvent }>,
  ): Promise<Array<ResolvedCustomer | undefined>> {
    const resolved = new Array<ResolvedCustomer | undefined>(events.length);
    const now = performance.now();
    let missing: Set<string> | undefined;
    for (let at = 0; at < events.length; at++) {
      const ref = events[at].event.customerRef;
      const cached = this.customers.get(ref);
      if (cached !== undefined && now - cached.at < CUSTOMER_CACHE_MS) resolved[at] = cached;
      else (missing ??= new Set()).add(ref);
    }
    if (missing === undefined) return resolved;
    const rows: Array<{ ref: string; id: string; open_since: Date | null }> = await this.dataSource.query(
      `SELECT r.ref, c.id,
              (SELECT min(s.current_period_start) FROM billing.subscriptions s
                WHERE s.customer_id = c.id AND s.status <> 'canceled') AS open_since
         FROM unnest($1::text[]) AS r(ref)
         JOIN LATERAL (SELECT id FROM billing.customers WHERE id = r.ref OR user_id = r.ref
                        ORDER BY (id = r.ref) DESC LIMIT 1) c ON true`,
      [[...missing]],
    );
    if (this.customers.size + rows.length > CUSTOMER_CACHE_MAX) this.customers.clear();
    const loaded = new Map<string, ResolvedCustomer>();
    for (const row of rows) {
      const customer = { customerId: row.id, openSince: row.open_since?.getTime() ?? null, at: now };
      this.customers.set(row.ref, customer);
      loaded.set(row.ref, customer);
    }
    for (let at = 0; at < events.length; at++) {
      if (resolved[at] === undefined) resolved[at] = loaded.get(events[at].event.customerRef);
    }
    return resolved;
  }
}
