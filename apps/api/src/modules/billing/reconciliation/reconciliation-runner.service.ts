import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { add, subtract, toDecimalString } from '@astrix/pricing';
import { storedMoney } from '../money';
import type {
  BalanceTransactionPage,
  PaymentProcessor,
  ProcessorBalanceTransaction,
  ProcessorPayout,
} from '@astrix/stripe-client';
import { DataSource, type EntityManager } from 'typeorm';
import { AppConfig } from '../../../platform/config/app-config';
import { Clock } from '../../../platform/clock';
import { OutboxService } from '../../../platform/events/outbox.service';
import { InjectPaymentProcessor } from '../../../platform/payment-processor/payment-processor.provider';
import { Journal } from '../ledger/journal.service';
import {
  lookupOf,
  postingLines,
  reconcileMovement,
  STANDARD_FEE_SCHEDULE,
  type ExceptionDraft,
  type OurRow,
  type ReconciledMovement,
} from './reconciliation-matching';
import {
  countsOf,
  findOurRows,
  insertExceptions,
  insertItems,
  reconciledSources,
  rowsWithoutMovement,
  type ItemRow,
} from './reconciliation-store';
import { ReconciliationPayout, ReconciliationRun } from './reconciliation.entity';
import { TraderPayoutTransfersRegistry } from './processor-transfers.registry';
import { settlementRates } from './settlement-rates';

const DAY_MS = 86_400_000;
/**
 * Pages written per transaction: fewer commits (the walk is bound by them), and a crash redoes at
 * most this many pages from the last committed cursor.
 */
const PAGES_PER_COMMIT = 5;
/** Pages fetched and matched ahead of the one being written (each match holds a connection). */
const LOOKAHEAD_PAGES = 4;
/** Serializes the postings that read the ledger's Stripe balance (availability). */
const AVAILABILITY_LOCK = 19_560_001;

export const dayBounds = (day: string): { from: Date; to: Date } => {
  const from = new Date(`${day}T00:00:00.000Z`);
  return { from, to: new Date(from.getTime() + DAY_MS) };
};

/** A page fetched and matched, waiting to be committed. */
interface PreparedPage {
  readonly txns: readonly ProcessorBalanceTransaction[];
  readonly last: string;
  readonly hasMore: boolean;
  readonly results: ReadonlyArray<{ txn: ProcessorBalanceTransaction; result: ReconciledMovement }>;
}

/**
 * Walks one UTC day of processor balance transactions page by page (newest first, as the processor
 * lists them), matches each page to our rows with one lookup, and commits every few pages in one
 * transaction: the items, one journal entry for their movements, their exceptions and the run's
 * cursor. A crash resumes after the last committed page; an item reconciled before is never
 * posted again, so running a day again posts nothing new.
 */
@Injectable()
export class ReconciliationRunner {
  private readonly logger = new Logger('Reconciliation');

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectPaymentProcessor() private readonly processor: PaymentProcessor,
    private readonly journal: Journal,
    private readonly outbox: OutboxService,
    private readonly transfers: TraderPayoutTransfersRegistry,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  async execute(runId: string): Promise<ReconciliationRun> {
    const run = await this.dataSource.manager.findOneByOrFail(ReconciliationRun, { id: runId });
    if (run.status === 'completed') return run;
    if (run.status === 'failed') {
      // A retry of a stopped run: it resumes from its cursor.
      await this.dataSource.manager.update(
        ReconciliationRun,
        { id: run.id },
        { status: 'running', error: null },
      );
    }
    const { from, to: dayEnd } = dayBounds(run.day);
    // The walk asks for the whole day: the processor lists only what exists. Our rows are expected
    // there up to now (inclusive: a row recorded this instant had its movement before), and funds
    // whose `available_on` has passed by the end of the day (or now) become available.
    const now = this.clock.now();
    const to = new Date(Math.min(dayEnd.getTime(), now.getTime() + 1));
    try {
      await this.reconcilePayouts(run, from, dayEnd, now);
      const pageSize = this.config.reconciliationPageSize;
      const fetchAfter = (cursor: string | null): Promise<BalanceTransactionPage> =>
        this.processor.listBalanceTransactions({
          createdFrom: from,
          createdTo: dayEnd,
          limit: pageSize,
          ...(cursor ? { startingAfter: cursor } : {}),
        });
      // Three stages in flight: pages are fetched one after the other (each asks after the last
      // id of the one before), each fetched page is matched at once on its own connection, and
      // matched pages are written in order, a few per transaction, each commit with its cursor.
      // A failure anywhere stops the walk at the last commit.
      const pending: Array<Promise<PreparedPage | null>> = [];
      let fetching: Promise<BalanceTransactionPage | null> = fetchAfter(run.cursor);
      const handled = <T>(promise: Promise<T>): Promise<T> => {
        // Awaited later, in order; noted now so a failure ahead is not an unhandled rejection.
        promise.catch(() => undefined);
        return promise;
      };
      const pump = (): void => {
        while (pending.length < LOOKAHEAD_PAGES) {
          const current = fetching;
          pending.push(
            handled(
              current.then(async (page) => {
                const last = page?.data.at(-1);
                if (!page || !last) return null;
                return {
                  txns: page.data,
                  last: last.id,
                  hasMore: page.hasMore,
                  results: await this.match(page.data),
                };
              }),
            ),
          );
          fetching = handled(
            current.then((page) => {
              const last = page?.data.at(-1);
              return page?.hasMore && last ? fetchAfter(last.id) : null;
            }),
          );
        }
      };
      let pages = run.pages;
      let batch: PreparedPage[] = [];
      for (;;) {
        pump();
        const page = await (pending.shift() as Promise<PreparedPage | null>);
        if (page) batch.push(page);
        if (batch.length > 0 && (batch.length >= PAGES_PER_COMMIT || !page)) {
          pages += batch.length;
          await this.commitPages(run, batch, pages);
          batch = [];
        }
        if (!page) break;
      }
      await this.raiseUnmatchedInStripe(run, from, to);
      await this.postAvailability(run, to);
      return await this.complete(run);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.logger.warn(`reconciliation ${run.id} of ${run.day} stopped: ${message}`);
      await this.dataSource.manager.update(
        ReconciliationRun,
        { id: run.id },
        { status: 'failed', error: message },
      );
      throw error;
    }
  }

  /** One page matched to our rows with one lookup (and one to payouts when it holds transfers). */
  private async match(txns: readonly ProcessorBalanceTransaction[]): Promise<PreparedPage['results']> {
    const keys = {
      charges: [] as string[],
      paymentIntents: [] as string[],
      refunds: [] as string[],
      disputes: [] as string[],
    };
    const transferIds: string[] = [];
    for (const txn of txns) {
      const lookup = lookupOf(txn);
      if (!lookup) continue;
      if (lookup.type === 'charge') {
        keys.charges.push(lookup.key);
        if (lookup.fallbackKey) keys.paymentIntents.push(lookup.fallbackKey);
      } else if (lookup.type === 'refund') keys.refunds.push(lookup.key);
      else if (lookup.type === 'dispute') keys.disputes.push(lookup.key);
      else transferIds.push(lookup.key);
    }
    const ours = await findOurRows(this.dataSource.manager, keys);
    const transfers = new Map(
      (await this.transfers.byTransferIds(transferIds)).map((transfer): [string, OurRow] => [
        transfer.transferId,
        {
          type: 'trader_payout',
          id: transfer.payoutId,
          amount: transfer.amount,
          currency: transfer.currency,
          feeBooked: 0,
          bookedAt: null,
        },
      ]),
    );
    const rowOf = (txn: ProcessorBalanceTransaction): OurRow | null => {
      const lookup = lookupOf(txn);
      if (lookup?.type === 'charge')
        return (
          ours.charges.get(lookup.key) ??
          (lookup.fallbackKey ? ours.charges.get(`pi:${lookup.fallbackKey}`) : undefined) ??
          null
        );
      if (lookup?.type === 'refund') return ours.refunds.get(lookup.key) ?? null;
      if (lookup?.type === 'dispute') return ours.disputes.get(lookup.key) ?? null;
      if (lookup?.type === 'trader_payout') return transfers.get(lookup.key) ?? null;
      return null;
    };
    // Movements Stripe settled into another currency than our row's: our snapshot rate of the row's day.
    const bookedRateOf = await settlementRates(
      this.dataSource.manager,
      txns.map((txn) => ({ txn, row: rowOf(txn) })),
    );
    return txns.map((txn) => {
      const row = rowOf(txn);
      return {
        txn,
        result: reconcileMovement(txn, row, STANDARD_FEE_SCHEDULE, bookedRateOf(txn, row)),
      };
    });
  }

  /** A few pages' items, their journal entry, exceptions and the cursor, in one transaction. */
  private async commitPages(
    run: ReconciliationRun,
    batch: readonly PreparedPage[],
    pages: number,
  ): Promise<void> {
    const results = batch.flatMap((page) => page.results);
    const cursor = batch[batch.length - 1].last;
    await this.dataSource.transaction(async (manager) => {
      const items: ItemRow[] = results.map(({ txn, result }) => ({
        txn,
        outcome: result.outcome,
        ourSourceType: result.ourSourceType,
        ourSourceId: result.ourSourceId,
        ourAmount: result.ourAmount,
      }));
      const inserted = await insertItems(manager, run.id, items, {
        cursor,
        pages,
        at: this.clock.now(),
      });
      const fresh = results.filter(({ txn }) => inserted.has(txn.id));
      if (fresh.length > 0) {
        const first = fresh[0].txn;
        const lastFresh = fresh[fresh.length - 1].txn;
        await this.journal.postMany(manager, [
          {
            sourceType: 'processor_balance_transaction',
            // The first balance transaction this entry posts: each is posted once, so the id is unique.
            sourceId: first.id,
            event: 'processor.balance_transactions',
            occurredAt: first.createdAt,
            customerId: null,
            memo: `${fresh.length} balance transactions ${lastFresh.id}…${first.id} of reconciliation ${run.id} (${run.day})`,
            lines: postingLines(fresh.flatMap(({ result }) => result.postings)),
          },
        ]);
        await insertExceptions(
          manager,
          run,
          fresh.flatMap(({ result }) => result.exceptions),
          this.clock.now(),
        );
      }
    });
  }

  /** Stripe payouts to the bank created or arriving that day: swept sum compared, arrival posted. */
  private async reconcilePayouts(run: ReconciliationRun, from: Date, to: Date, now: Date): Promise<void> {
    const seen = new Map<string, ProcessorPayout>();
    for (const query of [
      { createdFrom: from, createdTo: to },
      { arrivalFrom: from, arrivalTo: to },
    ]) {
      let cursor: string | undefined;
      for (;;) {
        const page = await this.processor.listPayouts({
          ...query,
          limit: 100,
          ...(cursor ? { startingAfter: cursor } : {}),
        });
        for (const payout of page.data) seen.set(payout.id, payout);
        const last = page.data.at(-1);
        if (!page.hasMore || !last) break;
        cursor = last.id;
      }
    }
    for (const payout of seen.values()) {
      const sweptNet = payout.automatic ? await this.sweptNet(payout) : null;
      await this.dataSource.transaction(async (manager) => {
        await manager
          .createQueryBuilder()
          .insert()
          .into(ReconciliationPayout)
          .values({
            payoutId: payout.id,
            runId: run.id,
            amount: payout.amountMinor,
            currency: payout.currency,
            status: payout.status,
            automatic: payout.automatic,
            sweptNet,
            arrivalDate: payout.arrivalDate,
            createdAt: payout.createdAt,
          })
          .orUpdate(['status', 'swept_net'], ['payout_id'])
          .execute();
        const exceptions: ExceptionDraft[] = [];
        if (sweptNet !== null && sweptNet !== payout.amountMinor) {
          const difference = subtract(
            storedMoney(payout.amountMinor, payout.currency),
            storedMoney(sweptNet, payout.currency),
          );
          exceptions.push({
            kind: 'payout_mismatch',
            subject: payout.id,
            balanceTransactionId: payout.balanceTransactionId,
            ourSourceType: 'processor_payout',
            ourSourceId: payout.id,
            currency: payout.currency,
            processorAmount: payout.amountMinor,
            ourAmount: sweptNet,
            message: `payout ${payout.id} of ${toDecimalString(storedMoney(payout.amountMinor, payout.currency))} ${payout.currency} differs from the ${toDecimalString(storedMoney(sweptNet, payout.currency))} ${payout.currency} its balance transactions add up to (difference ${toDecimalString(difference)})`,
          });
        }
        await insertExceptions(manager, run, exceptions, this.clock.now());
        if (payout.status === 'paid' && payout.arrivalDate.getTime() <= now.getTime()) {
          await this.journal.post(manager, {
            sourceType: 'processor_payout',
            sourceId: payout.id,
            event: 'bank_payout.paid',
            occurredAt: payout.arrivalDate,
            memo: `Stripe payout ${payout.id} arrived at the bank`,
            lines: [
              { account: 'bank', currency: payout.currency, debit: payout.amountMinor },
              { account: 'bank_in_transit', currency: payout.currency, credit: payout.amountMinor },
            ],
          });
        }
      });
    }
  }

  /** What an automatic payout swept: the net of its balance transactions, its own one excepted. */
  private async sweptNet(payout: ProcessorPayout): Promise<number> {
    let total = storedMoney(0, payout.currency);
    let cursor: string | undefined;
    for (;;) {
      const page = await this.processor.listBalanceTransactions({
        payoutId: payout.id,
        limit: 100,
        ...(cursor ? { startingAfter: cursor } : {}),
      });
      for (const txn of page.data) {
        if (txn.type === 'payout' && txn.payoutId === payout.id) continue;
        total = add(total, storedMoney(txn.netMinor, txn.currency));
      }
      const last = page.data.at(-1);
      if (!page.hasMore || !last) break;
      cursor = last.id;
    }
    return total.amountMinor;
  }

  /** Our rows of the day without a balance transaction once the day is walked: the processor lacks them. */
  private async raiseUnmatchedInStripe(run: ReconciliationRun, from: Date, to: Date): Promise<void> {
    const rows = await rowsWithoutMovement(this.dataSource.manager, from, to);
    const payouts = await this.transfers.paidBetween(from, to);
    const reconciled = await reconciledSources(
      this.dataSource.manager,
      payouts.map((payout) => payout.payoutId),
    );
    const missing = [
      ...rows,
      ...payouts
        .filter((payout) => !reconciled.has(payout.payoutId))
        .map((payout) => ({
          type: 'trader_payout' as const,
          id: payout.payoutId,
          amount: payout.amount,
          currency: payout.currency,
          processorId: payout.transferId,
        })),
    ];
    const drafts: ExceptionDraft[] = missing.map((row) => ({
      kind: 'unmatched_in_stripe',
      subject: row.id,
      balanceTransactionId: null,
      ourSourceType: row.type,
      ourSourceId: row.id,
      currency: row.currency,
      processorAmount: null,
      ourAmount: row.amount,
      message: `our ${row.type.replace('_', ' ')} ${row.id} (${row.processorId ?? 'no processor id'}, ${toDecimalString(storedMoney(row.amount, row.currency))} ${row.currency}) has no balance transaction at Stripe by the end of ${run.day}`,
    }));
    await this.dataSource.transaction((manager) => insertExceptions(manager, run, drafts, this.clock.now()));
  }

  /**
   * `processor.available`: funds whose `available_on` has passed move from pending to available.
   * The ledger's available balance is brought to the net of every reconciled movement available by
   * `cutoff`, so posting it again moves nothing.
   */
  private async postAvailability(run: ReconciliationRun, cutoff: Date): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      await manager.query('SELECT pg_advisory_xact_lock($1)', [AVAILABILITY_LOCK]);
      const due: Array<{ currency: string; net: string }> = await manager.query(
        `SELECT currency, sum(net)::text AS net FROM billing.reconciliation_items WHERE available_on <= $1 GROUP BY currency`,
        [cutoff],
      );
      const held: Array<{ currency: string; balance: string }> = await manager.query(
        `SELECT currency, (sum(debit) - sum(credit))::text AS balance FROM billing.journal_lines
          WHERE account = 'stripe_balance_available' GROUP BY currency`,
      );
      const currencies = new Set([...due.map((row) => row.currency), ...held.map((row) => row.currency)]);
      const lines = [...currencies].flatMap((currency) => {
        const move = subtract(
          storedMoney(due.find((row) => row.currency === currency)?.net ?? '0', currency),
          storedMoney(held.find((row) => row.currency === currency)?.balance ?? '0', currency),
        );
        return postingLines([
          { account: 'stripe_balance_available', amount: move },
          { account: 'stripe_balance_pending', amount: storedMoney(-move.amountMinor, currency) },
        ]);
      });
      if (lines.length === 0) return;
      await this.journal.post(manager, {
        sourceType: 'processor_balance_transaction',
        // Unique per posting: what makes it once-only is the difference computed under the lock (a
        // source id derived from the cutoff or the clock could repeat and drop a needed move).
        sourceId: `available:${run.id}:${randomUUID()}`,
        event: 'processor.available',
        occurredAt: cutoff,
        memo: `funds available by ${cutoff.toISOString()} (reconciliation ${run.id})`,
        lines,
      });
    });
  }

  private async complete(run: ReconciliationRun): Promise<ReconciliationRun> {
    return this.dataSource.transaction(async (manager: EntityManager) => {
      const counts = await countsOf(manager, run.id);
      const completedAt = this.clock.now();
      await manager.update(
        ReconciliationRun,
        { id: run.id },
        { status: 'completed', counts, cursor: null, error: null, completedAt, heartbeatAt: completedAt },
      );
      const exceptions =
        counts.unmatchedInStripe +
        counts.unmatchedInBooks +
        counts.amountMismatch +
        counts.feeMismatch +
        counts.payoutMismatch;
      await this.outbox.append(manager, {
        type: 'billing.reconciliation.completed',
        subject: run.id,
        data: {
          reconciliationId: run.id,
          date: run.day,
          account: run.account,
          ...counts,
          exceptions,
          clean: exceptions === 0,
        },
        correlationId: null,
      });
      return manager.findOneByOrFail(ReconciliationRun, { id: run.id });
    });
  }
}
