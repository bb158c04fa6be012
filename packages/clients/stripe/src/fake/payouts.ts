import type Stripe from 'stripe';
import { invalidRequest } from './api-error';
import { type BalanceLedger, DAY_SECONDS, dayStart, type LedgerEntry } from './balance-ledger';
import type { FakeBalanceSettings } from './balance-engine';
import { newStripeId } from './ids';
import { AUTOMATIC_ORIGIN } from './object-factory';
import type { FakeStripeStore } from './store';
import type { WebhookDispatcher } from './webhook-dispatcher';
import { idOf, toUnixSeconds } from '../stripe-fields';
import { stripeAmountProblem } from '../stripe-currencies';

/** A clock jump longer than this runs one payout for the whole jump instead of one per day. */
const MAX_CATCH_UP_DAYS = 400;

/**
 * Payouts to the account's bank: the daily automatic schedule as the clock passes midnight, runs
 * on demand, manual payouts, arrival (in_transit → paid) and injected failures.
 */
export class PayoutDesk {
  private lastPayoutDay: number;
  private readonly bankAccount = newStripeId('ba');

  constructor(
    private readonly store: FakeStripeStore,
    private readonly events: WebhookDispatcher,
    private readonly ledger: BalanceLedger,
    private readonly now: () => Date,
    private readonly currentSettings: () => FakeBalanceSettings,
    /** Available and pending funds per currency now. */
    private readonly balanceOf: () => Map<string, { available: number; pending: number }>,
  ) {
    this.lastPayoutDay = dayStart(this.nowSeconds());
  }

  reset(): void {
    this.lastPayoutDay = dayStart(this.nowSeconds());
  }

  /**
   * Lets time pass: every UTC midnight crossed since the last run makes the daily automatic
   * payouts (schedule `daily`), and payouts whose arrival date has come are paid.
   */
  tick(): void {
    const now = this.nowSeconds();
    const today = dayStart(now);
    // The clock moved back: the schedule restarts from the new day.
    if (today < this.lastPayoutDay) this.lastPayoutDay = today;
    if (this.settings.payoutSchedule === 'daily') {
      if (today - this.lastPayoutDay > MAX_CATCH_UP_DAYS * DAY_SECONDS)
        this.lastPayoutDay = today - DAY_SECONDS;
      for (let midnight = this.lastPayoutDay + DAY_SECONDS; midnight <= today; midnight += DAY_SECONDS) {
        this.settleArrivals(midnight);
        this.payOut(midnight, true);
      }
    }
    if (today > this.lastPayoutDay) this.lastPayoutDay = today;
    this.settleArrivals(now);
  }

  /**
   * Pays out, now, each currency's whole available balance (or only `currency`'s): one payout per
   * currency with a positive balance, linked to the transactions it sweeps.
   */
  runPayouts(options: { currency?: string; automatic?: boolean } = {}): Stripe.Payout[] {
    this.tick();
    const payouts = this.payOut(
      this.nowSeconds(),
      options.automatic ?? true,
      options.currency?.toLowerCase(),
    );
    this.settleArrivals(this.nowSeconds());
    return payouts.map((payout) => this.store.payouts.require(payout.id));
  }

  /** A manual payout (`POST /v1/payouts`): not linked to transactions, as at Stripe. */
  createManualPayout(input: {
    amount: number;
    currency: string;
    description: string | null;
    metadata: Stripe.Metadata;
  }): Stripe.Payout {
    this.tick();
    // Stripe's payout rules (stripe-currencies.ts): HUF and TWD pay out whole units only.
    const problem = stripeAmountProblem(input.amount, input.currency, 'payout');
    if (problem !== null) throw invalidRequest(problem.message, 'amount', problem.code);
    const available = this.balanceOf().get(input.currency)?.available ?? 0;
    if (input.amount > available) {
      throw invalidRequest(
        `You have insufficient funds in your Stripe account for this transfer. Your card balance is too low. You can use the /v1/balance endpoint to view your Stripe balance (for more details, see stripe.com/docs/api#balance).`,
        'amount',
        'balance_insufficient',
      );
    }
    const payout = this.createPayout(
      input.amount,
      input.currency,
      this.nowSeconds(),
      false,
      input.description,
      input.metadata,
    );
    return payout;
  }

  /** The bank refused the payout: the funds come back to the balance (`payout_failure`). */
  failPayout(payoutId: string, failureCode = 'account_closed'): Stripe.Payout {
    const payout = this.store.payouts.require(payoutId, 'payout');
    if (payout.status !== 'in_transit' && payout.status !== 'pending') {
      throw invalidRequest(`Payout ${payoutId} is ${payout.status} and can no longer fail.`, 'payout');
    }
    const now = this.nowSeconds();
    const failure = this.ledger.add({
      id: newStripeId('txn'),
      created: now,
      availableOn: now,
      type: 'payout_failure',
      reportingCategory: 'payout_reversal',
      amount: payout.amount,
      fee: 0,
      feeDescription: null,
      currency: payout.currency,
      description: `Payout failure (${failureCode})`,
      source: payout.id,
      chargeId: null,
      paymentIntentId: null,
      synthetic: false,
    });
    const failed = this.store.payouts.save({
      ...payout,
      status: 'failed',
      failure_balance_transaction: failure.id,
      failure_code: failureCode,
      failure_message: PAYOUT_FAILURE_MESSAGES[failureCode] ?? 'The bank could not process this payout.',
    });
    this.events.publish([this.events.create('payout.failed', failed, AUTOMATIC_ORIGIN)]);
    return failed;
  }

  private payOut(at: number, automatic: boolean, onlyCurrency?: string): Stripe.Payout[] {
    const sweepable = new Map<string, LedgerEntry[]>();
    for (const entry of this.ledger.entries()) {
      if (entry.created > at) break;
      if (entry.payoutId !== null || entry.availableOn > at) continue;
      if (onlyCurrency !== undefined && entry.currency !== onlyCurrency) continue;
      const list = sweepable.get(entry.currency) ?? [];
      list.push(entry);
      sweepable.set(entry.currency, list);
    }
    const payouts: Stripe.Payout[] = [];
    for (const [currency, entries] of sweepable) {
      const amount = entries.reduce((sum, entry) => sum + entry.amount - entry.fee, 0);
      if (amount <= 0) continue;
      const payout = this.createPayout(amount, currency, at, automatic, 'STRIPE PAYOUT', {});
      const own = this.ledger.get(idOf(payout.balance_transaction) ?? '');
      this.ledger.sweep(payout.id, own === undefined ? entries : [...entries, own]);
      payouts.push(payout);
    }
    return payouts;
  }

  private createPayout(
    amount: number,
    currency: string,
    created: number,
    automatic: boolean,
    description: string | null,
    metadata: Stripe.Metadata,
  ): Stripe.Payout {
    const id = newStripeId('po');
    const entry = this.ledger.add({
      id: newStripeId('txn'),
      created,
      availableOn: created,
      type: 'payout',
      reportingCategory: 'payout',
      amount: -amount,
      fee: 0,
      feeDescription: null,
      currency,
      description,
      source: id,
      chargeId: null,
      paymentIntentId: null,
      synthetic: false,
    });
    const payout = this.store.payouts.save({
      id,
      object: 'payout',
      amount,
      application_fee: null,
      application_fee_amount: null,
      arrival_date: dayStart(created) + this.settings.payoutArrivalDays * DAY_SECONDS,
      automatic,
      balance_transaction: entry.id,
      created,
      currency,
      description,
      destination: this.bankAccount,
      failure_balance_transaction: null,
      failure_code: null,
      failure_message: null,
      livemode: false,
      metadata,
      method: 'standard',
      original_payout: null,
      payout_method: null,
      reconciliation_status: automatic ? 'completed' : 'not_applicable',
      reversed_by: null,
      source_type: 'card',
      statement_descriptor: null,
      status: 'in_transit',
      trace_id: { status: 'pending', value: null },
      type: 'bank_account',
    });
    this.events.publish([this.events.create('payout.created', payout, AUTOMATIC_ORIGIN)]);
    return payout;
  }

  private settleArrivals(at: number): void {
    for (const payout of this.store.payouts.all().reverse()) {
      if (payout.status !== 'in_transit' || payout.arrival_date > at) continue;
      const paid = this.store.payouts.save({
        ...payout,
        status: 'paid',
        trace_id: { status: 'supported', value: `FAKETRACE${payout.id.slice(3, 15).toUpperCase()}` },
      });
      this.events.publish([this.events.create('payout.paid', paid, AUTOMATIC_ORIGIN)]);
    }
  }

  private get settings(): FakeBalanceSettings {
    return this.currentSettings();
  }

  private nowSeconds(): number {
    return toUnixSeconds(this.now());
  }
}

const PAYOUT_FAILURE_MESSAGES: Record<string, string> = {
  account_closed: 'The bank account has been closed.',
  no_account:
    'The bank account details on file are probably incorrect. No bank account could be located with those details.',
  insufficient_funds: 'Your Stripe account has insufficient funds to cover the payout.',
  could_not_process: 'The bank could not process this payout.',
};
