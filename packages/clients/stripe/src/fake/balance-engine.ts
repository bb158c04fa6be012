import type Stripe from 'stripe';
import { invalidRequest } from './api-error';
import {
  BalanceLedger,
  DAY_SECONDS,
  dayStart,
  type LedgerEntry,
  type NewLedgerEntry,
  presentEntry,
} from './balance-ledger';
import {
  cardFee,
  DEFAULT_CURRENCY_KEY,
  defaultDisputeFee,
  defaultFeeSchedule,
  type FeeRate,
  type FeeScheduleEntry,
  rateAt,
} from './fees';
import { newStripeId } from './ids';
import { PayoutDesk } from './payouts';
import { assertExchangeRates, settle, type Settled } from './settlement';
import type { FakeStripeStore } from './store';
import { type SyntheticDayOptions, syntheticBalanceTransactions } from './synthetic-balance';
import type { WebhookDispatcher } from './webhook-dispatcher';
import { idOf, toUnixSeconds } from '../stripe-fields';

export const STRIPE_MAX_LIST_LIMIT = 100;

/** How the fake account's balance behaves; set at construction, changed through the controls. */
export interface FakeBalanceSettings {
  /** Days after a charge's day (00:00 UTC) before its funds are available. Default 2. */
  availabilityDelayDays: number;
  /** `daily`: one automatic payout per UTC day as the clock passes midnight; `manual`: none. */
  payoutSchedule: 'daily' | 'manual';
  /** Days after a payout's day (00:00 UTC) until it arrives at the bank (in_transit → paid). Default 2. */
  payoutArrivalDays: number;
  /** The dispute fee per currency (lowercase), `default` for the rest; default 1500 (15000 for 3-decimal currencies). */
  disputeFees: Record<string, number>;
  /**
   * Whether winning a dispute gives the dispute fee back (a negative fee on the reinstatement).
   * Default true: Stripe's long-standing card pricing returns the $15 fee on a won dispute.
   */
  returnDisputeFeeOnWin: boolean;
  /** The largest `limit` accepted by list endpoints: 100 as at Stripe; raise it for benchmarks only. */
  maxListLimit: number;
  /**
   * The account's settlement currency (lowercase), or null (default): each currency is kept in a
   * balance of its own. When set, charges, refunds and disputes in another (presentment) currency
   * are converted into it at `exchangeRates`, as Stripe does for an account with one bank currency.
   */
  settlementCurrency: string | null;
  /** Presentment currency (lowercase) → 1 unit = this many settlement units (exact decimal string). */
  exchangeRates: Record<string, string>;
}

export const DEFAULT_BALANCE_SETTINGS: FakeBalanceSettings = {
  availabilityDelayDays: 2,
  payoutSchedule: 'daily',
  payoutArrivalDays: 2,
  disputeFees: {},
  returnDisputeFeeOnWin: true,
  maxListLimit: STRIPE_MAX_LIST_LIMIT,
  settlementCurrency: null,
  exchangeRates: {},
};

export interface FeeChange {
  /** Uppercase or lowercase ISO code; omit for every currency without its own line. */
  currency?: string;
  percentBps: number;
  fixedMinor: number;
  /** Charges created at or after this time; default now. */
  effectiveFrom?: Date;
}

export interface ExtraBalanceTransaction {
  type: 'charge' | 'stripe_fee' | 'adjustment' | 'refund';
  /** Signed minor units. */
  amount: number;
  currency: string;
  fee?: number;
  /** Default: a fresh id of the type's kind (an unknown ch_ for a charge), none for stripe_fee. */
  source?: string | null;
  description?: string | null;
  /** Default now. */
  created?: Date;
}

export interface BulkSeedResult {
  count: number;
  charges: number;
  refunds: number;
  /** Sum of `net` per currency (uppercase). */
  netByCurrency: Record<string, number>;
  firstCreated: string;
  lastCreated: string;
}

function requireInteger(value: number, name: string, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) {
    throw invalidRequest(`${name} must be an integer of at least ${min}`, name);
  }
}

/**
 * The account's money as Stripe keeps it: a balance transaction for every charge, refund,
 * dispute movement, transfer and payout; fees from a schedule; pending funds becoming available
 * with the clock; automatic daily payouts sweeping the available balance to the bank.
 */
export class BalanceEngine {
  readonly ledger = new BalanceLedger();
  private settings: FakeBalanceSettings;
  private schedule: FeeScheduleEntry[];
  private readonly payouts: PayoutDesk;

  constructor(
    private readonly store: FakeStripeStore,
    events: WebhookDispatcher,
    private readonly now: () => Date,
    private readonly initial: { settings: FakeBalanceSettings; fees: readonly FeeChange[] },
  ) {
    this.settings = structuredClone(initial.settings);
    this.schedule = this.initialSchedule();
    this.payouts = new PayoutDesk(
      store,
      events,
      this.ledger,
      now,
      () => this.settings,
      () => this.balance(),
    );
  }

  reset(): void {
    this.ledger.clear();
    this.settings = structuredClone(this.initial.settings);
    this.schedule = this.initialSchedule();
    this.payouts.reset();
  }

  currentSettings(): FakeBalanceSettings {
    return structuredClone(this.settings);
  }

  updateSettings(changes: Partial<FakeBalanceSettings>): FakeBalanceSettings {
    const next = { ...this.settings, ...changes };
    requireInteger(next.availabilityDelayDays, 'availabilityDelayDays', 0);
    requireInteger(next.payoutArrivalDays, 'payoutArrivalDays', 0);
    requireInteger(next.maxListLimit, 'maxListLimit', 1);
    next.settlementCurrency = next.settlementCurrency?.toLowerCase() ?? null;
    next.exchangeRates = Object.fromEntries(
      Object.entries(next.exchangeRates).map(([currency, rate]) => [currency.toLowerCase(), rate]),
    );
    assertExchangeRates(next.exchangeRates);
    this.settings = next;
    return this.currentSettings();
  }

  feeSchedule(): FeeScheduleEntry[] {
    return structuredClone(this.schedule);
  }

  /** Adds a line to the fee schedule: charges from `effectiveFrom` on pay the new rate. */
  changeFees(change: FeeChange): FeeScheduleEntry[] {
    requireInteger(change.percentBps, 'percentBps', 0);
    requireInteger(change.fixedMinor, 'fixedMinor', 0);
    this.schedule.push(this.scheduleLine(change));
    return this.feeSchedule();
  }

  /** The fee Stripe would keep on a card charge of this amount now. */
  feeFor(amount: number, currency: string, created: number): number {
    return cardFee(amount, this.rateFor(currency, created));
  }

  rateFor(currency: string, created: number): FeeRate {
    return rateAt(this.schedule, currency, created);
  }

  /** A movement in `currency` as the balance holds it (converted into the settlement currency when set). */
  settle(amount: number, currency: string): Settled {
    return settle(amount, currency, this.settings.settlementCurrency, this.settings.exchangeRates);
  }

  /** A succeeded charge: its amount, less the scheduled fee, pending until available. */
  recordCharge(charge: Stripe.Charge): string {
    const existing = this.ledger.ofSource(charge.id).find((entry) => entry.type === 'charge');
    if (existing !== undefined) return existing.id;
    const settled = this.settle(charge.amount, charge.currency);
    const entry = this.ledger.add({
      id:
        charge.balance_transaction === null
          ? newStripeId('txn')
          : (idOf(charge.balance_transaction) ?? newStripeId('txn')),
      created: charge.created,
      availableOn: this.availableOnFor(charge.created),
      type: 'charge',
      reportingCategory: 'charge',
      amount: settled.amount,
      fee: this.feeFor(settled.amount, settled.currency, charge.created),
      feeDescription: 'Stripe processing fees',
      currency: settled.currency,
      exchangeRate: settled.exchangeRate,
      description: charge.description,
      source: charge.id,
      chargeId: charge.id,
      paymentIntentId: idOf(charge.payment_intent),
      synthetic: false,
    });
    return entry.id;
  }

  /** A refund debits the balance at once; Stripe keeps the charge's fee (fee 0). */
  recordRefund(refund: Stripe.Refund): void {
    const settled = this.settle(-refund.amount, refund.currency);
    this.ledger.add({
      id: idOf(refund.balance_transaction) ?? newStripeId('txn'),
      created: refund.created,
      availableOn: refund.created,
      type: 'refund',
      reportingCategory: 'refund',
      amount: settled.amount,
      fee: 0,
      feeDescription: null,
      currency: settled.currency,
      exchangeRate: settled.exchangeRate,
      description: 'REFUND FOR CHARGE',
      source: refund.id,
      chargeId: idOf(refund.charge),
      paymentIntentId: idOf(refund.payment_intent),
      synthetic: false,
    });
  }

  /** Opening a dispute withdraws the disputed amount and charges the dispute fee. */
  recordDisputeOpened(dispute: Stripe.Dispute): Stripe.BalanceTransaction {
    const currency = this.settle(0, dispute.currency).currency;
    const fee =
      this.settings.disputeFees[currency] ??
      this.settings.disputeFees[DEFAULT_CURRENCY_KEY] ??
      defaultDisputeFee(currency);
    return this.present(this.ledger.add(this.disputeEntry(dispute, -dispute.amount, fee, 'dispute')));
  }

  /** A won dispute reinstates the amount (and, by default, returns the dispute fee). */
  recordDisputeWon(dispute: Stripe.Dispute): Stripe.BalanceTransaction {
    const withdrawal = this.ledger
      .ofSource(dispute.id)
      .find((entry) => entry.reportingCategory === 'dispute');
    const fee = this.settings.returnDisputeFeeOnWin && withdrawal !== undefined ? -withdrawal.fee : 0;
    return this.present(this.ledger.add(this.disputeEntry(dispute, dispute.amount, fee, 'dispute_reversal')));
  }

  recordTransfer(transfer: Stripe.Transfer): void {
    this.ledger.add({
      id: idOf(transfer.balance_transaction) ?? newStripeId('txn'),
      created: transfer.created,
      availableOn: transfer.created,
      type: 'transfer',
      reportingCategory: 'transfer',
      amount: -transfer.amount,
      fee: 0,
      feeDescription: null,
      currency: transfer.currency,
      description: transfer.description,
      source: transfer.id,
      chargeId: null,
      paymentIntentId: null,
      synthetic: false,
    });
  }

  /** Available and pending funds per currency (lowercase) at `at` (default now). */
  balance(at = this.nowSeconds()): Map<string, { available: number; pending: number }> {
    const balances = new Map<string, { available: number; pending: number }>();
    for (const entry of this.ledger.entries()) {
      if (entry.created > at) continue;
      let balance = balances.get(entry.currency);
      if (balance === undefined) {
        balance = { available: 0, pending: 0 };
        balances.set(entry.currency, balance);
      }
      if (entry.availableOn <= at) balance.available += entry.amount - entry.fee;
      else balance.pending += entry.amount - entry.fee;
    }
    return balances;
  }

  /**
   * Lets time pass: every UTC midnight crossed since the last run makes the daily automatic
   * payouts (schedule `daily`), and payouts whose arrival date has come are paid.
   */
  tick(): void {
    this.payouts.tick();
  }

  /** Pays out now each currency's whole available balance (or only `currency`'s). */
  runPayouts(options: { currency?: string; automatic?: boolean } = {}): Stripe.Payout[] {
    return this.payouts.runPayouts(options);
  }

  /** A manual payout (`POST /v1/payouts`), never more than is available. */
  createManualPayout(input: {
    amount: number;
    currency: string;
    description: string | null;
    metadata: Stripe.Metadata;
  }): Stripe.Payout {
    return this.payouts.createManualPayout(input);
  }

  /** The bank refused the payout: the funds come back to the balance (`payout_failure`). */
  failPayout(payoutId: string, failureCode?: string): Stripe.Payout {
    return this.payouts.failPayout(payoutId, failureCode);
  }

  /** Discrepancy: the balance transaction(s) of a refund (or any source) disappear. */
  dropTransactionsOf(sourceId: string): LedgerEntry[] {
    const entries = [...this.ledger.ofSource(sourceId)];
    if (entries.length === 0) throw invalidRequest(`No balance transaction has source ${sourceId}`, 'source');
    for (const entry of entries) this.ledger.remove(entry);
    return entries;
  }

  /** Discrepancy: the fee Stripe kept on a charge (by charge id or its txn id) is not what the schedule says. */
  setChargeFee(chargeOrTransactionId: string, fee: number): Stripe.BalanceTransaction {
    requireInteger(fee, 'fee', 0);
    const entry =
      this.ledger.get(chargeOrTransactionId) ??
      this.ledger.ofSource(chargeOrTransactionId).find((candidate) => candidate.type === 'charge');
    if (entry === undefined) {
      throw invalidRequest(`No charge balance transaction for ${chargeOrTransactionId}`, 'charge');
    }
    entry.fee = fee;
    return this.present(entry);
  }

  /** Discrepancy: a movement our books never saw (an unknown charge, a stray fee…). */
  addTransaction(input: ExtraBalanceTransaction): Stripe.BalanceTransaction {
    requireInteger(Math.abs(input.amount), 'amount', 0);
    const created = input.created === undefined ? this.nowSeconds() : toUnixSeconds(input.created);
    const currency = input.currency.toLowerCase();
    const source =
      input.source !== undefined
        ? input.source
        : input.type === 'charge'
          ? newStripeId('ch')
          : input.type === 'refund'
            ? newStripeId('re')
            : null;
    const fee =
      input.fee ?? (input.type === 'charge' ? this.feeFor(Math.abs(input.amount), currency, created) : 0);
    const entry = this.ledger.add({
      id: newStripeId('txn'),
      created,
      availableOn: input.type === 'charge' ? this.availableOnFor(created) : created,
      type: input.type,
      reportingCategory:
        input.type === 'stripe_fee' ? 'fee' : input.type === 'adjustment' ? 'other_adjustment' : input.type,
      amount: input.amount,
      fee,
      feeDescription: null,
      currency,
      description: input.description ?? null,
      source,
      chargeId: input.type === 'charge' ? source : null,
      paymentIntentId: null,
      synthetic: source !== null && this.store.findById(source) === undefined,
    });
    return this.present(entry);
  }

  /** Adds a day of synthetic charges and refunds (see synthetic-balance.ts), merged in O(n). */
  bulkSeed(options: SyntheticDayOptions): BulkSeedResult {
    const result: BulkSeedResult = {
      count: 0,
      charges: 0,
      refunds: 0,
      netByCurrency: {},
      firstCreated: '',
      lastCreated: '',
    };
    const delay = this.settings.availabilityDelayDays;
    const rows = syntheticBalanceTransactions({
      ...options,
      feeOf: options.feeOf ?? ((amount, currency, created) => this.feeFor(amount, currency, created)),
    });
    const entries = function* (): Generator<NewLedgerEntry> {
      for (const row of rows) {
        result.count++;
        if (row.type === 'charge') result.charges++;
        else result.refunds++;
        result.netByCurrency[row.currency] =
          (result.netByCurrency[row.currency] ?? 0) + row.amountMinor - row.feeMinor;
        yield {
          id: row.balanceTransactionId,
          created: row.created,
          availableOn: row.type === 'charge' ? dayStart(row.created) + delay * DAY_SECONDS : row.created,
          type: row.type,
          reportingCategory: row.type,
          amount: row.amountMinor,
          fee: row.feeMinor,
          feeDescription: row.type === 'charge' ? 'Stripe processing fees' : null,
          currency: row.currency.toLowerCase(),
          description: null,
          source: row.sourceId,
          chargeId: row.chargeId,
          paymentIntentId: row.paymentIntentId,
          synthetic: true,
        };
      }
    };
    const added = this.ledger.addMany(entries());
    const first = added[0];
    const last = added[added.length - 1];
    result.firstCreated = first === undefined ? '' : new Date(first.created * 1000).toISOString();
    result.lastCreated = last === undefined ? '' : new Date(last.created * 1000).toISOString();
    return result;
  }

  present(entry: LedgerEntry): Stripe.BalanceTransaction {
    return presentEntry(entry, this.nowSeconds());
  }

  /**
   * For `expand[]`: a balance transaction by id, or the minimal source object of a synthetic
   * transaction (its id, object type, charge and payment intent; nothing else is known).
   */
  findForExpansion(id: string): { id: string } | undefined {
    if (id.startsWith('txn_')) {
      const entry = this.ledger.get(id);
      return entry === undefined ? undefined : this.present(entry);
    }
    const entry = this.ledger.ofSource(id)[0];
    if (entry === undefined || !entry.synthetic) return undefined;
    const common = {
      id,
      livemode: false as const,
      currency: entry.currency,
      created: entry.created,
      payment_intent: entry.paymentIntentId,
    };
    if (id.startsWith('ch_')) {
      const charge: SyntheticSource = {
        ...common,
        object: 'charge',
        amount: entry.amount,
        status: 'succeeded',
      };
      return charge;
    }
    if (id.startsWith('re_')) {
      const refund: SyntheticSource = {
        ...common,
        object: 'refund',
        amount: -entry.amount,
        charge: entry.chargeId,
        status: 'succeeded',
      };
      return refund;
    }
    return undefined;
  }

  private disputeEntry(
    dispute: Stripe.Dispute,
    amount: number,
    fee: number,
    category: 'dispute' | 'dispute_reversal',
  ): NewLedgerEntry {
    const now = this.nowSeconds();
    const settled = this.settle(amount, dispute.currency);
    return {
      id: newStripeId('txn'),
      created: now,
      availableOn: now,
      type: 'adjustment',
      reportingCategory: category,
      amount: settled.amount,
      exchangeRate: settled.exchangeRate,
      fee,
      feeDescription: category === 'dispute' ? 'Dispute fee' : 'Dispute fee refund',
      currency: settled.currency,
      description:
        category === 'dispute'
          ? `Chargeback withdrawal for ${idOf(dispute.charge)}`
          : `Chargeback reversal for ${idOf(dispute.charge)}`,
      source: dispute.id,
      chargeId: idOf(dispute.charge),
      paymentIntentId: idOf(dispute.payment_intent),
      synthetic: false,
    };
  }

  private availableOnFor(created: number): number {
    return dayStart(created) + this.settings.availabilityDelayDays * DAY_SECONDS;
  }

  private initialSchedule(): FeeScheduleEntry[] {
    return [...defaultFeeSchedule(), ...this.initial.fees.map((change) => this.scheduleLine(change, 0))];
  }

  private scheduleLine(change: FeeChange, defaultStart = this.nowSeconds()): FeeScheduleEntry {
    return {
      currency: change.currency?.toLowerCase() ?? DEFAULT_CURRENCY_KEY,
      rate: { percentBps: change.percentBps, fixedMinor: change.fixedMinor },
      effectiveFrom: change.effectiveFrom === undefined ? defaultStart : toUnixSeconds(change.effectiveFrom),
    };
  }

  private nowSeconds(): number {
    return toUnixSeconds(this.now());
  }
}

/** The few fields known of a bulk-seeded charge or refund (no full Stripe object stands behind it). */
interface SyntheticSource {
  id: string;
  object: 'charge' | 'refund';
  livemode: false;
  amount: number;
  currency: string;
  created: number;
  status: 'succeeded';
  payment_intent: string | null;
  charge?: string | null;
}
