import type Stripe from 'stripe';
import { invalidRequest, resourceMissing } from './api-error';
import type { ApiHandler, FakeStripeContext } from './api-routes';
import type {
  BulkSeedResult,
  ExtraBalanceTransaction,
  FakeBalanceSettings,
  FeeChange,
} from './balance-engine';
import type { ControlHandler } from './control-routes';
import type { FeeScheduleEntry } from './fees';
import type { FormReader } from './form';
import type { Router } from './router';
import { paginate } from './store';
import type { SyntheticDayOptions } from './synthetic-balance';

/** Stripe's default page size. */
const DEFAULT_LIMIT = 10;
const PAYOUT_STATUSES = ['pending', 'in_transit', 'paid', 'failed', 'canceled'] as const;
const EXTRA_TYPES = ['charge', 'stripe_fee', 'adjustment', 'refund'] as const;

/** The balance side of the controls: the clock, fees, payouts, and injected discrepancies. */
export interface FakeBalanceControls {
  /** The fake's "now": its clock plus every advance. */
  now(): Date;
  /**
   * Moves the fake's clock by `seconds` (negative moves back), then lets time pass: pending funds
   * become available, the daily schedule pays out once per UTC midnight crossed, payouts whose
   * arrival date has come are paid. Returns the new now.
   */
  advanceClock(seconds: number): Date;
  /** Sets the fake's now (same effects as advanceClock). */
  setClock(at: Date): Date;
  balanceSettings(): FakeBalanceSettings;
  updateBalanceSettings(changes: Partial<FakeBalanceSettings>): FakeBalanceSettings;
  feeSchedule(): FeeScheduleEntry[];
  /** Charges created from `effectiveFrom` (default now) on, in `currency` (default: all others), pay this rate. */
  changeFees(change: FeeChange): FeeScheduleEntry[];
  /** Pays out the available balance now, one payout per currency (automatic by default). */
  runPayouts(options?: { currency?: string; automatic?: boolean }): Stripe.Payout[];
  /** The bank returns an in-transit payout: `payout_failure` transaction and `payout.failed`. */
  failPayout(payoutId: string, failureCode?: string): Stripe.Payout;
  /** The balance transactions whose source is this charge, refund, dispute, payout or transfer. */
  balanceTransactionsOf(sourceId: string): Stripe.BalanceTransaction[];
  /** Discrepancy "missing refund": the refund's (or any source's) balance transactions vanish. */
  dropBalanceTransactionsOf(sourceId: string): Stripe.BalanceTransaction[];
  /** Discrepancy "fee change": this charge's (or txn's) fee becomes `fee`; net follows. */
  setChargeFee(chargeOrTransactionId: string, fee: number): Stripe.BalanceTransaction;
  /** Discrepancy "unknown charge" (or a stray fee/adjustment): a transaction no object stands behind. */
  addBalanceTransaction(input: ExtraBalanceTransaction): Stripe.BalanceTransaction;
  /** A day of synthetic charges and refunds, same rows as `syntheticBalanceTransactions(options)`. */
  seedBalanceTransactions(options: SyntheticDayOptions): BulkSeedResult;
}

function ok(body: unknown): { status: number; body: unknown } {
  return { status: 200, body };
}

/** Stripe's `field[gt|gte|lt|lte]` range as a half-open [gte, lt) in Unix seconds. */
function readRange(query: FormReader, name: string): { gte?: number; lt?: number } {
  if (!query.has(name)) return {};
  let range: FormReader | undefined;
  try {
    range = query.child(name);
  } catch {
    // `created=<seconds>`: that second exactly.
    const at = query.requiredInteger(name);
    return { gte: at, lt: at + 1 };
  }
  if (range === undefined) return {};
  const gt = range.optionalInteger('gt');
  const gte = range.optionalInteger('gte');
  const lt = range.optionalInteger('lt');
  const lte = range.optionalInteger('lte');
  const lows = [gte, gt === undefined ? undefined : gt + 1].filter((value) => value !== undefined);
  const highs = [lt, lte === undefined ? undefined : lte + 1].filter((value) => value !== undefined);
  return {
    gte: lows.length === 0 ? undefined : Math.max(...lows),
    lt: highs.length === 0 ? undefined : Math.min(...highs),
  };
}

function inRange(value: number, range: { gte?: number; lt?: number }): boolean {
  return (range.gte === undefined || value >= range.gte) && (range.lt === undefined || value < range.lt);
}

/** `/v1/balance_transactions`, `/v1/payouts`, `/v1/balance`. */
export function addBalanceRoutes(router: Router<ApiHandler>, context: FakeStripeContext): void {
  const { store, balance } = context;

  router.on('GET', '/v1/balance_transactions', ({ query }) => {
    balance.tick();
    const created = readRange(query, 'created');
    const limit = query.optionalInteger('limit') ?? DEFAULT_LIMIT;
    const maxLimit = balance.currentSettings().maxListLimit;
    if (limit < 1 || limit > maxLimit) {
      throw invalidRequest(`Invalid integer: limit must be between 1 and ${maxLimit}`, 'limit');
    }
    const payout = query.optionalNonEmptyString('payout');
    if (payout !== undefined && !store.payouts.require(payout, 'payout').automatic) {
      throw invalidRequest(
        'Balance transaction history can only be filtered on automatic payouts, not manual payouts.',
        'payout',
      );
    }
    const source = query.optionalNonEmptyString('source');
    const type = query.optionalNonEmptyString('type');
    const currency = query.optionalNonEmptyString('currency')?.toLowerCase();
    const startingAfter = query.optionalNonEmptyString('starting_after');
    if (query.has('ending_before')) {
      throw invalidRequest(
        'The fake pages balance transactions forwards only (starting_after).',
        'ending_before',
      );
    }
    query.rejectUnknown();
    if (source !== undefined) {
      const items = balance.ledger
        .ofSource(source)
        .filter((entry) => (type === undefined || entry.type === type) && inRange(entry.created, created))
        .reverse()
        .map((entry) => balance.present(entry));
      return ok({ object: 'list', data: items, has_more: false, url: '/v1/balance_transactions' });
    }
    const page = balance.ledger.list({
      createdGte: created.gte,
      createdLt: created.lt,
      type,
      payout,
      currency,
      startingAfter,
      limit,
    });
    return ok({
      object: 'list',
      data: page.data.map((entry) => balance.present(entry)),
      has_more: page.hasMore,
      url: '/v1/balance_transactions',
    });
  });
  router.on('GET', '/v1/balance_transactions/:id', ({ params, query }) => {
    query.rejectUnknown();
    balance.tick();
    const entry = balance.ledger.get(params.id ?? '');
    if (entry === undefined) throw resourceMissing('balance transaction', params.id ?? '');
    return ok(balance.present(entry));
  });

  router.on('GET', '/v1/balance', ({ query }) => {
    query.rejectUnknown();
    balance.tick();
    const byCurrency = [...balance.balance()];
    const amounts = (pick: 'available' | 'pending'): Stripe.Balance.Available[] =>
      byCurrency.length === 0
        ? [{ amount: 0, currency: 'usd', source_types: { card: 0 } }]
        : byCurrency.map(([currency, amounts]) => ({
            amount: amounts[pick],
            currency,
            source_types: { card: amounts[pick] },
          }));
    const body: Stripe.Balance = {
      object: 'balance',
      available: amounts('available'),
      pending: amounts('pending'),
      connect_reserved: [],
      livemode: false,
    };
    return ok(body);
  });

  router.on('GET', '/v1/payouts', ({ query }) => {
    balance.tick();
    const created = readRange(query, 'created');
    const arrival = readRange(query, 'arrival_date');
    const status = query.optionalEnum('status', PAYOUT_STATUSES);
    query.optionalNonEmptyString('destination');
    const payouts = store.payouts
      .all()
      .filter(
        (payout) =>
          inRange(payout.created, created) &&
          inRange(payout.arrival_date, arrival) &&
          (status === undefined || payout.status === status),
      );
    const page = paginate(payouts, query, '/v1/payouts');
    query.rejectUnknown();
    return ok(page);
  });
  router.on('GET', '/v1/payouts/:id', ({ params, query }) => {
    query.rejectUnknown();
    balance.tick();
    return ok(store.payouts.require(params.id ?? ''));
  });
  router.on('POST', '/v1/payouts', ({ body }) => {
    const amount = body.requiredInteger('amount');
    if (amount < 1) throw invalidRequest('This value must be greater than or equal to 1.', 'amount');
    const currency = body.requiredString('currency').toLowerCase();
    const description = body.optionalNonEmptyString('description') ?? null;
    const metadata = body.stringMap('metadata') ?? {};
    body.optionalEnum('method', ['standard']);
    body.rejectUnknown();
    if (balance.currentSettings().payoutSchedule !== 'manual') {
      throw invalidRequest(
        'You cannot create manual payouts while automatic payouts are enabled (the fake: set payoutSchedule to manual).',
        undefined,
        'payouts_not_allowed',
      );
    }
    return ok(balance.createManualPayout({ amount, currency, description, metadata }));
  });
}

function optionalDate(body: FormReader, name: string): Date | undefined {
  const value = body.optionalNonEmptyString(name);
  if (value === undefined) return undefined;
  const at = /^-?\d+$/.test(value) ? new Date(Number(value) * 1000) : new Date(value);
  if (Number.isNaN(at.getTime()))
    throw invalidRequest(`Invalid date: ${value} (ISO 8601 or Unix seconds)`, name);
  return at;
}

/** `/__control/clock`, `/__control/fees`, `/__control/payouts/…`, `/__control/balance…`. */
export function addBalanceControlRoutes(router: Router<ControlHandler>, controls: FakeBalanceControls): void {
  router.on('GET', '/__control/clock', () => ({ now: controls.now() }));
  router.on('POST', '/__control/clock', ({ body }) => {
    const at = optionalDate(body, 'now');
    const advanceSeconds = body.optionalInteger('advanceSeconds');
    if ((at === undefined) === (advanceSeconds === undefined)) {
      throw invalidRequest('Give exactly one of now (ISO 8601) or advanceSeconds', 'advanceSeconds');
    }
    return { now: at === undefined ? controls.advanceClock(advanceSeconds ?? 0) : controls.setClock(at) };
  });

  router.on('GET', '/__control/balance/settings', () => controls.balanceSettings());
  router.on('POST', '/__control/balance/settings', ({ body }) => {
    const changes: Partial<FakeBalanceSettings> = {};
    const availabilityDelayDays = body.optionalInteger('availabilityDelayDays');
    const payoutArrivalDays = body.optionalInteger('payoutArrivalDays');
    const payoutSchedule = body.optionalEnum('payoutSchedule', ['daily', 'manual']);
    const returnDisputeFeeOnWin = body.optionalBoolean('returnDisputeFeeOnWin');
    const maxListLimit = body.optionalInteger('maxListLimit');
    const disputeFees = body.stringMap('disputeFees');
    const exchangeRates = body.stringMap('exchangeRates');
    const settlementCurrency = body.optionalNonEmptyString('settlementCurrency');
    if (exchangeRates !== undefined) changes.exchangeRates = exchangeRates;
    if (settlementCurrency !== undefined)
      changes.settlementCurrency = settlementCurrency === 'none' ? null : settlementCurrency;
    if (availabilityDelayDays !== undefined) changes.availabilityDelayDays = availabilityDelayDays;
    if (payoutArrivalDays !== undefined) changes.payoutArrivalDays = payoutArrivalDays;
    if (payoutSchedule !== undefined) changes.payoutSchedule = payoutSchedule;
    if (returnDisputeFeeOnWin !== undefined) changes.returnDisputeFeeOnWin = returnDisputeFeeOnWin;
    if (maxListLimit !== undefined) changes.maxListLimit = maxListLimit;
    if (disputeFees !== undefined) {
      changes.disputeFees = Object.fromEntries(
        Object.entries(disputeFees).map(([currency, fee]) => {
          if (!/^\d+$/.test(fee))
            throw invalidRequest(`Invalid dispute fee for ${currency}: ${fee}`, 'disputeFees');
          return [currency.toLowerCase(), Number(fee)];
        }),
      );
    }
    return controls.updateBalanceSettings(changes);
  });

  router.on('GET', '/__control/fees', () => ({ schedule: controls.feeSchedule() }));
  router.on('POST', '/__control/fees', ({ body }) => ({
    schedule: controls.changeFees({
      currency: body.optionalNonEmptyString('currency'),
      percentBps: body.requiredInteger('percentBps'),
      fixedMinor: body.requiredInteger('fixedMinor'),
      effectiveFrom: optionalDate(body, 'effectiveFrom'),
    }),
  }));

  router.on('POST', '/__control/payouts/run', ({ body }) => ({
    payouts: controls.runPayouts({
      currency: body.optionalNonEmptyString('currency'),
      automatic: body.optionalBoolean('automatic'),
    }),
  }));
  router.on('POST', '/__control/payouts/:id/fail', ({ params, body }) =>
    controls.failPayout(params.id ?? '', body.optionalNonEmptyString('failureCode')),
  );

  router.on('GET', '/__control/sources/:id/balance-transactions', ({ params }) => ({
    balanceTransactions: controls.balanceTransactionsOf(params.id ?? ''),
  }));
  router.on('POST', '/__control/balance-transactions/drop', ({ body }) => ({
    dropped: controls.dropBalanceTransactionsOf(body.requiredString('source')),
  }));
  router.on('POST', '/__control/balance-transactions/fee', ({ body }) =>
    controls.setChargeFee(body.requiredString('charge'), body.requiredInteger('fee')),
  );
  router.on('POST', '/__control/balance-transactions', ({ body }) => {
    const type = body.optionalEnum('type', EXTRA_TYPES) ?? 'charge';
    const source = body.optionalString('source');
    return controls.addBalanceTransaction({
      type,
      amount: body.requiredInteger('amount'),
      currency: body.optionalNonEmptyString('currency') ?? 'usd',
      fee: body.optionalInteger('fee'),
      source: source === undefined ? undefined : source === '' ? null : source,
      description: body.optionalNonEmptyString('description') ?? null,
      created: optionalDate(body, 'created'),
    });
  });
  router.on('POST', '/__control/balance-transactions/bulk', ({ body }) =>
    controls.seedBalanceTransactions({
      count: body.requiredInteger('count'),
      day: body.requiredString('day'),
      seed: body.optionalNonEmptyString('seed') ?? '1',
      currency: body.optionalNonEmptyString('currency'),
      refundEvery: body.optionalInteger('refundEvery'),
    }),
  );
}
