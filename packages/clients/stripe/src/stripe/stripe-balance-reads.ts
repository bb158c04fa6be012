import type Stripe from 'stripe';
import type {
  BalanceTransactionPage,
  ListBalanceTransactionsQuery,
  ListPayoutsQuery,
  ProcessorBalance,
  ProcessorPayout,
} from '../port/balance-types';
import type { ProcessorPage } from '../port/types';
import { toBalances, toBalanceTransaction, toPayout } from './stripe-balance-mappers';
import { toPage, toStripeCurrency } from './stripe-mappers';

/** Stripe's largest page, and ours by default for these reads (a day can hold many transactions). */
export const BALANCE_PAGE_SIZE = 100;

/** Runs one SDK call with the adapter's error mapping and rate-limit retries. */
export type StripeCall = <T>(request: () => Promise<T>) => Promise<T>;

/**
 * The reconciliation reads of the Stripe adapter: balance transactions (with their sources
 * expanded, so refunds and disputes name their charge and payment intent), payouts, balance.
 */
export class StripeBalanceReads {
  constructor(
    private readonly stripe: Stripe,
    private readonly call: StripeCall,
  ) {}

  async listBalanceTransactions(query: ListBalanceTransactionsQuery): Promise<BalanceTransactionPage> {
    const list = await this.call(() =>
      this.stripe.balanceTransactions.list({
        limit: query.limit ?? BALANCE_PAGE_SIZE,
        starting_after: query.startingAfter,
        created: createdRange(query.createdFrom, query.createdTo),
        payout: query.payoutId,
        type: query.type,
        currency: query.currency === undefined ? undefined : toStripeCurrency(query.currency),
        expand: ['data.source'],
      }),
    );
    return toPage(list, toBalanceTransaction);
  }

  async listPayouts(query: ListPayoutsQuery = {}): Promise<ProcessorPage<ProcessorPayout>> {
    const list = await this.call(() =>
      this.stripe.payouts.list({
        limit: query.limit ?? BALANCE_PAGE_SIZE,
        starting_after: query.startingAfter,
        created: createdRange(query.createdFrom, query.createdTo),
        arrival_date: createdRange(query.arrivalFrom, query.arrivalTo),
        status: query.status,
      }),
    );
    return toPage(list, toPayout);
  }

  async retrievePayout(payoutId: string): Promise<ProcessorPayout> {
    return toPayout(await this.call(() => this.stripe.payouts.retrieve(payoutId)));
  }

  async retrieveBalance(): Promise<ProcessorBalance[]> {
    return toBalances(await this.call(() => this.stripe.balance.retrieve()));
  }
}

/**
 * `[from, to)` as Stripe's `created[gte]` / `created[lt]` in Unix seconds: `from` rounded down
 * and `to` rounded up, so nothing inside the range is missed.
 */
function createdRange(from: Date | undefined, to: Date | undefined): Stripe.RangeQueryParam | undefined {
  if (from === undefined && to === undefined) return undefined;
  return {
    gte: from === undefined ? undefined : Math.floor(from.getTime() / 1000),
    lt: to === undefined ? undefined : Math.ceil(to.getTime() / 1000),
  };
}
