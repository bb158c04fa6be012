import { randomUUID } from 'node:crypto';
import type { ProcessorBalanceTransaction } from '../port/balance-types';
import { InvalidRequestError, ResourceNotFoundError } from '../port/errors';
import { syntheticBalanceTransactions } from '../fake/synthetic-balance';
import { type Harness, startHarness } from '../testing/harness';

// The balance side of the adapter, through the real SDK against the fake: balance transactions
// with fees, availability with the clock, daily payouts, pagination and injected discrepancies.

let harness: Harness;

beforeAll(async () => {
  harness = await startHarness();
});
beforeEach(() => {
  // A fixed Tuesday noon, so availability (two days, at 00:00 UTC) and payouts are exact.
  harness.fake.controls.setClock(new Date('2026-03-10T12:00:00Z'));
});
afterEach(() => harness.reset());
afterAll(() => harness.close());

const DAY = 86_400;
const key = (): string => `test-${randomUUID()}`;
const day = (iso: string): Date => new Date(`${iso}T00:00:00Z`);

async function pay(amountMinor: number, currency = 'USD', paymentMethodId = 'pm_card_visa') {
  return harness.processor.createPaymentIntent(
    { amountMinor, currency, paymentMethodId, confirm: true },
    key(),
  );
}

/** Every transaction of a created range, walking the pages as a reconciliation would. */
async function allTransactions(
  query: { createdFrom?: Date; createdTo?: Date; payoutId?: string; limit?: number } = {},
): Promise<ProcessorBalanceTransaction[]> {
  const all: ProcessorBalanceTransaction[] = [];
  let startingAfter: string | undefined;
  for (;;) {
    const page = await harness.processor.listBalanceTransactions({ ...query, startingAfter });
    all.push(...page.data);
    if (!page.hasMore) return all;
    startingAfter = page.nextCursor ?? undefined;
  }
}

const sumNet = (transactions: ProcessorBalanceTransaction[]): number =>
  transactions.reduce((sum, transaction) => sum + transaction.netMinor, 0);

describe('charges and refunds', () => {
  it('books a paid charge with the scheduled fee, pending until two days later at 00:00 UTC', async () => {
    // No daily payout, so the funds stay in the balance once available.
    harness.fake.controls.updateBalanceSettings({ payoutSchedule: 'manual' });
    const intent = await pay(10_000);

    const [charge, ...rest] = await allTransactions({
      createdFrom: day('2026-03-10'),
      createdTo: day('2026-03-11'),
    });

    expect(rest).toEqual([]);
    expect(charge).toMatchObject({
      type: 'charge',
      processorType: 'charge',
      adjustmentReason: null,
      amountMinor: 10_000,
      feeMinor: 320,
      netMinor: 9_680,
      currency: 'USD',
      status: 'pending',
      availableOn: day('2026-03-12'),
      createdAt: new Date('2026-03-10T12:00:00Z'),
      sourceKind: 'charge',
      sourceId: intent.latestChargeId,
      chargeId: intent.latestChargeId,
      paymentIntentId: intent.id,
      feeDetails: [
        { type: 'stripe_fee', amountMinor: 320, currency: 'USD', description: 'Stripe processing fees' },
      ],
    });
    expect(charge?.id).toMatch(/^txn_/);
    expect((await harness.processor.getCharge(intent.latestChargeId ?? '')).id).toBe(charge?.chargeId);
    expect(await harness.processor.retrieveBalance()).toEqual([
      { currency: 'USD', availableMinor: 0, pendingMinor: 9_680 },
    ]);

    harness.fake.controls.advanceClock(DAY + 12 * 3600);

    const [available] = await allTransactions({ createdFrom: day('2026-03-10') });
    expect(available?.status).toBe('available');
    expect(await harness.processor.retrieveBalance()).toEqual([
      { currency: 'USD', availableMinor: 9_680, pendingMinor: 0 },
    ]);
  });

  it('prices each currency by its line of the schedule: JPY at 3.6 % + 0', async () => {
    await pay(5_000, 'JPY');
    await pay(1_050, 'EUR');

    const transactions = await allTransactions({ createdFrom: day('2026-03-10') });

    expect(transactions.map((t) => [t.currency, t.amountMinor, t.feeMinor, t.netMinor])).toEqual([
      ['EUR', 1_050, 60, 990],
      ['JPY', 5_000, 180, 4_820],
    ]);
  });

  it('books a refund as a negative amount, no fee returned, available at once, matched to its charge', async () => {
    const intent = await pay(10_000);
    harness.fake.controls.advanceClock(600);
    const refund = await harness.processor.createRefund(
      { paymentIntentId: intent.id, amountMinor: 4_000 },
      key(),
    );

    const [refundTransaction] = await harness.processor
      .listBalanceTransactions({ type: 'refund' })
      .then((page) => page.data);

    expect(refundTransaction).toMatchObject({
      type: 'refund',
      amountMinor: -4_000,
      feeMinor: 0,
      netMinor: -4_000,
      status: 'available',
      sourceKind: 'refund',
      sourceId: refund.id,
      refundId: refund.id,
      chargeId: intent.latestChargeId,
      paymentIntentId: intent.id,
      feeDetails: [],
    });
    expect(await harness.processor.retrieveBalance()).toEqual([
      { currency: 'USD', availableMinor: -4_000, pendingMinor: 9_680 },
    ]);
  });

  it('applies a fee change from its start only', async () => {
    await pay(10_000);
    harness.fake.controls.advanceClock(60);
    harness.fake.controls.changeFees({ currency: 'USD', percentBps: 340, fixedMinor: 25 });
    await pay(10_000);

    const fees = (await allTransactions({ createdFrom: day('2026-03-10') })).map((t) => t.feeMinor);

    expect(fees).toEqual([365, 320]);
  });
});

describe('disputes', () => {
  it('withdraws the amount plus a 1500 dispute fee, and reinstates both when the dispute is won', async () => {
    const intent = await pay(8_000, 'USD', 'pm_card_createDispute');
    const dispute = harness.fake.state.disputes.all()[0];
    if (dispute === undefined) throw new Error('no dispute');
    harness.fake.controls.advanceClock(3_600);
    harness.fake.controls.closeDispute(dispute.id, 'won');

    const adjustments = (await allTransactions({ createdFrom: day('2026-03-10') })).filter(
      (t) => t.type === 'adjustment',
    );

    expect(adjustments).toMatchObject([
      {
        adjustmentReason: 'dispute_reinstatement',
        amountMinor: 8_000,
        feeMinor: -1_500,
        netMinor: 9_500,
        sourceKind: 'dispute',
        disputeId: dispute.id,
        chargeId: intent.latestChargeId,
        paymentIntentId: intent.id,
      },
      {
        adjustmentReason: 'dispute_withdrawal',
        amountMinor: -8_000,
        feeMinor: 1_500,
        netMinor: -9_500,
        status: 'available',
        disputeId: dispute.id,
        chargeId: intent.latestChargeId,
        paymentIntentId: intent.id,
        feeDetails: [{ type: 'stripe_fee', amountMinor: 1_500, currency: 'USD', description: 'Dispute fee' }],
      },
    ]);
  });

  it('leaves the withdrawal standing when the dispute is lost', async () => {
    await pay(8_000, 'USD', 'pm_card_createDispute');
    const dispute = harness.fake.state.disputes.all()[0];
    if (dispute === undefined) throw new Error('no dispute');
    harness.fake.controls.closeDispute(dispute.id, 'lost');

    const types = (await allTransactions({ createdFrom: day('2026-03-10') })).map(
      (t) => `${t.type}:${t.adjustmentReason ?? ''}:${t.netMinor}`,
    );

    expect(types.sort()).toEqual(['adjustment:dispute_withdrawal:-9500', 'charge::7738']);
  });
});

describe('payouts', () => {
  it('pays out exactly the available balance each day, swept transactions summing to the payout', async () => {
    const first = await pay(10_000);
    await pay(2_000);
    harness.fake.controls.advanceClock(3_600);
    await harness.processor.createRefund({ paymentIntentId: first.id, amountMinor: 1_000 }, key());
    // At 00:00 on the 11th only the refund is available (−1000): no payout for a negative balance.
    harness.fake.controls.advanceClock(DAY);
    // A charge of the 11th is available on the 13th.
    await pay(5_000);

    // To noon on the 12th: the charges of the 10th became available at 00:00 and were paid out.
    harness.fake.controls.advanceClock(DAY - 3_600);
    const payouts = await harness.processor.listPayouts();

    expect(payouts.data).toHaveLength(1);
    const payout = payouts.data[0];
    if (payout === undefined) throw new Error('no payout');
    expect(payout).toMatchObject({
      amountMinor: 9_680 + 1_912 - 1_000,
      currency: 'USD',
      status: 'in_transit',
      automatic: true,
      createdAt: day('2026-03-12'),
      arrivalDate: day('2026-03-14'),
      failureCode: null,
    });
    expect(await harness.processor.retrievePayout(payout.id)).toEqual(payout);

    const swept = await allTransactions({ payoutId: payout.id });
    const payoutTransaction = swept.find((t) => t.type === 'payout');
    expect(payoutTransaction).toMatchObject({
      id: payout.balanceTransactionId,
      amountMinor: -payout.amountMinor,
      sourceKind: 'payout',
      payoutId: payout.id,
    });
    expect(swept.map((t) => t.type).sort()).toEqual(['charge', 'charge', 'payout', 'refund']);
    expect(sumNet(swept.filter((t) => t.type !== 'payout'))).toBe(payout.amountMinor);
    // The day-2 charge is still pending, so nothing is left available.
    expect(await harness.processor.retrieveBalance()).toEqual([
      { currency: 'USD', availableMinor: 0, pendingMinor: 4_825 },
    ]);

    harness.fake.controls.advanceClock(2 * DAY);
    const [second, first_] = (await harness.processor.listPayouts()).data;
    expect(first_).toMatchObject({ id: payout.id, status: 'paid' });
    expect(second).toMatchObject({ status: 'in_transit', amountMinor: 4_825, createdAt: day('2026-03-13') });
    // Signed with the fake's moved clock, days apart: verify with that clock and a wide tolerance.
    await harness.fake.flushWebhooks();
    const verifier = harness.processorWith({ clock: () => harness.fake.controls.now() });
    const payoutEvents = harness.receiver.received
      .map(({ rawBody, signature }) =>
        verifier.verifyWebhook(rawBody, signature, harness.fake.webhookSecret, 7 * DAY),
      )
      .flatMap((event) =>
        event.type === 'unsupported' && event.processorEventType.startsWith('payout.')
          ? [event.processorEventType]
          : [],
      );
    expect(payoutEvents).toEqual(['payout.created', 'payout.created', 'payout.paid']);
  });

  it('runs a payout on demand and returns the funds when the bank refuses it', async () => {
    harness.fake.controls.updateBalanceSettings({ availabilityDelayDays: 0 });
    await pay(10_000);
    const [payout] = harness.fake.controls.runPayouts();
    if (payout === undefined) throw new Error('no payout');

    harness.fake.controls.failPayout(payout.id, 'account_closed');
    const failed = await harness.processor.retrievePayout(payout.id);

    expect(failed).toMatchObject({ status: 'failed', failureCode: 'account_closed', amountMinor: 9_680 });
    const failure = (await harness.processor.listBalanceTransactions({ type: 'payout_failure' })).data[0];
    expect(failure).toMatchObject({
      id: failed.failureBalanceTransactionId,
      amountMinor: 9_680,
      payoutId: payout.id,
      status: 'available',
    });
    expect(await harness.processor.retrieveBalance()).toEqual([
      { currency: 'USD', availableMinor: 9_680, pendingMinor: 0 },
    ]);
  });

  it('filters payouts by creation and arrival dates', async () => {
    harness.fake.controls.updateBalanceSettings({ availabilityDelayDays: 0 });
    await pay(10_000);
    harness.fake.controls.runPayouts();

    const arriving = await harness.processor.listPayouts({
      arrivalFrom: day('2026-03-12'),
      arrivalTo: day('2026-03-13'),
    });
    const later = await harness.processor.listPayouts({ createdFrom: day('2026-03-11') });

    expect(arriving.data).toHaveLength(1);
    expect(later.data).toEqual([]);
  });
});

describe('listing', () => {
  it('pages a bulk-seeded day of more than 100 transactions newest first, rows as the generator makes them', async () => {
    const options = { count: 250, day: '2026-03-09', seed: 'paging', refundEvery: 5 };
    harness.fake.controls.seedBalanceTransactions(options);
    const expected = [...syntheticBalanceTransactions(options)];

    const listed = await allTransactions({ createdFrom: day('2026-03-09'), createdTo: day('2026-03-10') });

    expect(listed).toHaveLength(250);
    expect(new Set(listed.map((t) => t.id))).toEqual(
      new Set(expected.map((row) => row.balanceTransactionId)),
    );
    const times = listed.map((t) => t.createdAt.getTime());
    expect(times).toEqual([...times].sort((a, b) => b - a));
    const refund = expected.find((row) => row.type === 'refund');
    expect(listed.find((t) => t.id === refund?.balanceTransactionId)).toMatchObject({
      type: 'refund',
      refundId: refund?.refundId,
      chargeId: refund?.chargeId,
      paymentIntentId: refund?.paymentIntentId,
      amountMinor: refund?.amountMinor,
    });
    const charge = expected[0];
    expect(listed.find((t) => t.id === charge?.balanceTransactionId)).toMatchObject({
      chargeId: charge?.chargeId,
      paymentIntentId: charge?.paymentIntentId,
      feeMinor: charge?.feeMinor,
    });
  });

  it('keeps created[lt] exclusive and narrows by type', async () => {
    harness.fake.controls.seedBalanceTransactions({
      count: 20,
      day: '2026-03-09',
      seed: 'edges',
      refundEvery: 4,
    });
    const midnight = harness.fake.controls.addBalanceTransaction({
      type: 'stripe_fee',
      amount: -500,
      currency: 'usd',
      created: day('2026-03-10'),
    });
    await pay(1_000);

    const dayNine = await allTransactions({ createdFrom: day('2026-03-09'), createdTo: day('2026-03-10') });
    const dayTen = await allTransactions({ createdFrom: day('2026-03-10'), createdTo: day('2026-03-11') });
    const refunds = await harness.processor.listBalanceTransactions({ type: 'refund', limit: 100 });

    expect(dayNine).toHaveLength(20);
    expect(dayTen.map((t) => [t.type, t.id])).toEqual([
      ['charge', expect.any(String)],
      ['stripe_fee', midnight.id],
    ]);
    expect(refunds.data).toHaveLength(5);
    expect(refunds.data.every((t) => t.type === 'refund')).toBe(true);
  });

  it("refuses pages over 100, as Stripe does, unless the fake's maxListLimit allows them", async () => {
    harness.fake.controls.seedBalanceTransactions({ count: 300, day: '2026-03-09', seed: 'large' });

    await expect(harness.processor.listBalanceTransactions({ limit: 300 })).rejects.toBeInstanceOf(
      InvalidRequestError,
    );
    harness.fake.controls.updateBalanceSettings({ maxListLimit: 1_000 });
    const page = await harness.processor.listBalanceTransactions({ limit: 300 });

    expect(page.data).toHaveLength(300);
    expect(page.hasMore).toBe(false);
  });
});

describe('discrepancy controls', () => {
  it('drops the balance transaction of a refund (a missing refund)', async () => {
    const intent = await pay(10_000);
    const refund = await harness.processor.createRefund({ paymentIntentId: intent.id }, key());

    harness.fake.controls.dropBalanceTransactionsOf(refund.id);

    const types = (await allTransactions({ createdFrom: day('2026-03-10') })).map((t) => t.type);
    expect(types).toEqual(['charge']);
  });

  it('adds a charge no object stands behind (an unknown charge)', async () => {
    const added = harness.fake.controls.addBalanceTransaction({
      type: 'charge',
      amount: 777,
      currency: 'usd',
    });

    const [unknown] = (await harness.processor.listBalanceTransactions({ type: 'charge' })).data;

    expect(unknown).toMatchObject({ id: added.id, amountMinor: 777, feeMinor: 53, paymentIntentId: null });
    await expect(harness.processor.getCharge(unknown?.chargeId ?? '')).rejects.toBeInstanceOf(
      ResourceNotFoundError,
    );
  });

  it("changes one charge's fee", async () => {
    const intent = await pay(10_000);

    harness.fake.controls.setChargeFee(intent.latestChargeId ?? '', 999);

    const [charge] = (await harness.processor.listBalanceTransactions({ type: 'charge' })).data;
    expect(charge).toMatchObject({ amountMinor: 10_000, feeMinor: 999, netMinor: 9_001 });
  });
});

describe('settlement in one currency (issue #20: realised FX)', () => {
  it('a EUR charge settles into the USD balance at the rate table: amount, fee and net in USD, with the exchange rate', async () => {
    harness.fake.controls.updateBalanceSettings({
      payoutSchedule: 'manual',
      settlementCurrency: 'usd',
      exchangeRates: { eur: '1.0850' },
    });
    const intent = await pay(10_000, 'EUR');
    const charge = await harness.processor.getCharge(intent.latestChargeId ?? '');
    // The charge stays in its presentment currency; its balance transaction is in the settlement one.
    expect(charge).toMatchObject({ amountMinor: 10_000, currency: 'EUR' });
    const [txn] = (await harness.processor.listBalanceTransactions({ type: 'charge' })).data;
    // €100.00 × 1.085 = $108.50; fee 2.9 % + 30 of $108.50 = $3.45 (half-up)
    expect(txn).toMatchObject({
      amountMinor: 10_850,
      feeMinor: 345,
      netMinor: 10_505,
      currency: 'USD',
      exchangeRate: '1.085',
      chargeId: charge.id,
    });
    const balances = await harness.processor.retrieveBalance();
    expect(balances.map((balance) => balance.currency)).toEqual(['USD']);

    // A refund converts at the rate of its own day.
    harness.fake.controls.updateBalanceSettings({ exchangeRates: { eur: '1.1' } });
    await harness.processor.createRefund({ paymentIntentId: intent.id, amountMinor: 5_000 }, key());
    const [refund] = (await harness.processor.listBalanceTransactions({ type: 'refund' })).data;
    expect(refund).toMatchObject({ amountMinor: -5_500, feeMinor: 0, currency: 'USD', exchangeRate: '1.1' });
  });

  it('without a settlement currency each currency keeps its own balance and no exchange rate', async () => {
    await pay(10_000, 'EUR');
    const [txn] = (await harness.processor.listBalanceTransactions({ type: 'charge' })).data;
    expect(txn).toMatchObject({ amountMinor: 10_000, currency: 'EUR', exchangeRate: null });
  });
});
