import type { ProcessorBalanceTransaction } from '@astrix/stripe-client';
import { assertBalancedJournal } from '@astrix/pricing';
import {
  postingLines,
  reconcileMovement,
  scheduledFee,
  STANDARD_FEE_SCHEDULE,
  type OurRow,
} from './reconciliation-matching';
import { money } from '@astrix/pricing';

function txn(overrides: Partial<ProcessorBalanceTransaction>): ProcessorBalanceTransaction {
  const amountMinor = overrides.amountMinor ?? 10_000;
  const feeMinor = overrides.feeMinor ?? 320;
  return {
    id: 'txn_1',
    type: 'charge',
    processorType: overrides.type ?? 'charge',
    adjustmentReason: null,
    amountMinor,
    feeMinor,
    netMinor: amountMinor - feeMinor,
    currency: 'USD',
    status: 'pending',
    availableOn: new Date('2026-05-03T00:00:00Z'),
    createdAt: new Date('2026-05-01T10:00:00Z'),
    description: null,
    sourceId: 'ch_1',
    sourceKind: 'charge',
    chargeId: 'ch_1',
    paymentIntentId: 'pi_1',
    refundId: null,
    disputeId: null,
    payoutId: null,
    transferId: null,
    feeDetails: [],
    exchangeRate: null,
    ...overrides,
  };
}

const charge: OurRow = {
  type: 'charge',
  id: 'chg_1',
  amount: 10_000,
  currency: 'USD',
  feeBooked: 0,
  bookedAt: new Date('2026-05-01T10:00:00Z'),
};
const lines = (postings: Parameters<typeof postingLines>[0]) => {
  const result = postingLines(postings);
  assertBalancedJournal(
    result.map((line) => ({ ...line, debit: line.debit ?? 0, credit: line.credit ?? 0 })),
    'test',
  );
  return result;
};

describe('scheduledFee', () => {
  it('is 2.9 % + 30 for two decimals, 3.6 % for none, 2.9 % + 300 for three, rounded half up', () => {
    expect(scheduledFee(STANDARD_FEE_SCHEDULE, money(10_000, 'USD'))?.amountMinor).toBe(320);
    expect(scheduledFee(STANDARD_FEE_SCHEDULE, money(1_050, 'USD'))?.amountMinor).toBe(60); // 30.45 → 30
    expect(scheduledFee(STANDARD_FEE_SCHEDULE, money(1_000, 'JPY'))?.amountMinor).toBe(36);
    expect(scheduledFee(STANDARD_FEE_SCHEDULE, money(10_000, 'KWD'))?.amountMinor).toBe(590);
  });
});

describe('reconcileMovement', () => {
  it('a matched charge: net to pending, fee to processor fees, clearing credited the charge', () => {
    const result = reconcileMovement(txn({}), charge, STANDARD_FEE_SCHEDULE);
    expect(result.outcome).toBe('matched');
    expect(result.exceptions).toEqual([]);
    expect(lines(result.postings)).toEqual([
      { account: 'stripe_balance_pending', currency: 'USD', debit: 9_680 },
      { account: 'processor_fees', currency: 'USD', debit: 320 },
      { account: 'processor_clearing', currency: 'USD', credit: 10_000 },
    ]);
  });

  it('an unknown charge goes to suspense, named', () => {
    const result = reconcileMovement(
      txn({ id: 'txn_x', sourceId: 'ch_x', chargeId: 'ch_x' }),
      null,
      STANDARD_FEE_SCHEDULE,
    );
    expect(result.outcome).toBe('unmatched_in_books');
    expect(result.exceptions[0]).toMatchObject({
      kind: 'unmatched_in_books',
      subject: 'txn_x',
      processorAmount: 10_000,
    });
    expect(lines(result.postings)).toContainEqual({ account: 'suspense', currency: 'USD', credit: 10_000 });
  });

  it('an amount mismatch clears our amount and puts the difference in suspense, naming both', () => {
    const result = reconcileMovement(txn({}), { ...charge, amount: 9_000 }, STANDARD_FEE_SCHEDULE);
    expect(result.outcome).toBe('amount_mismatch');
    expect(result.exceptions[0].message).toContain('Stripe 100.00 USD, our charge chg_1 90.00 USD');
    expect(lines(result.postings)).toEqual(
      expect.arrayContaining([
        { account: 'processor_clearing', currency: 'USD', credit: 9_000 },
        { account: 'suspense', currency: 'USD', credit: 1_000 },
      ]),
    );
  });

  it('a fee other than the schedule is a fee mismatch, booked as charged', () => {
    const result = reconcileMovement(txn({ feeMinor: 500, netMinor: 9_500 }), charge, STANDARD_FEE_SCHEDULE);
    expect(result.outcome).toBe('matched');
    expect(result.exceptions).toEqual([
      expect.objectContaining({ kind: 'fee_mismatch', processorAmount: 500, ourAmount: 320 }),
    ]);
    expect(lines(result.postings)).toContainEqual({ account: 'processor_fees', currency: 'USD', debit: 500 });
  });

  it('a refund debits clearing and credits pending', () => {
    const refund = txn({
      id: 'txn_r',
      type: 'refund',
      amountMinor: -4_000,
      feeMinor: 0,
      netMinor: -4_000,
      refundId: 're_1',
      sourceId: 're_1',
    });
    const result = reconcileMovement(
      refund,
      { type: 'refund', id: 'ref_1', amount: 4_000, currency: 'USD', feeBooked: 0, bookedAt: null },
      STANDARD_FEE_SCHEDULE,
    );
    expect(result.outcome).toBe('matched');
    expect(lines(result.postings)).toEqual([
      { account: 'stripe_balance_pending', currency: 'USD', credit: 4_000 },
      { account: 'processor_clearing', currency: 'USD', debit: 4_000 },
    ]);
  });

  it('a dispute withdrawal clears amount and the fee our dispute.opened booked', () => {
    const dispute = txn({
      id: 'txn_d',
      type: 'adjustment',
      adjustmentReason: 'dispute_withdrawal',
      amountMinor: -10_000,
      feeMinor: 1_500,
      netMinor: -11_500,
      disputeId: 'du_1',
    });
    const row: OurRow = {
      type: 'dispute',
      id: 'dsp_1',
      amount: 10_000,
      currency: 'USD',
      feeBooked: 1_500,
      bookedAt: null,
    };
    const result = reconcileMovement(dispute, row, STANDARD_FEE_SCHEDULE);
    expect(result.exceptions).toEqual([]);
    expect(lines(result.postings)).toEqual([
      { account: 'stripe_balance_pending', currency: 'USD', credit: 11_500 },
      { account: 'processor_clearing', currency: 'USD', debit: 11_500 },
    ]);
    const won = txn({
      id: 'txn_w',
      type: 'adjustment',
      adjustmentReason: 'dispute_reinstatement',
      amountMinor: 10_000,
      feeMinor: -1_500,
      netMinor: 11_500,
      disputeId: 'du_1',
    });
    expect(lines(reconcileMovement(won, row, STANDARD_FEE_SCHEDULE).postings)).toEqual([
      { account: 'stripe_balance_pending', currency: 'USD', debit: 11_500 },
      { account: 'dispute_fees', currency: 'USD', credit: 1_500 },
      { account: 'processor_clearing', currency: 'USD', credit: 10_000 },
    ]);
  });

  it('a payout moves the balance to the bank in transit and needs no row', () => {
    const payout = txn({
      id: 'txn_p',
      type: 'payout',
      amountMinor: -50_000,
      feeMinor: 0,
      netMinor: -50_000,
      sourceId: 'po_1',
      payoutId: 'po_1',
    });
    const result = reconcileMovement(payout, null, STANDARD_FEE_SCHEDULE);
    expect(result).toMatchObject({
      outcome: 'matched',
      ourSourceType: 'processor_payout',
      ourSourceId: 'po_1',
    });
    expect(lines(result.postings)).toEqual([
      { account: 'stripe_balance_pending', currency: 'USD', credit: 50_000 },
      { account: 'bank_in_transit', currency: 'USD', debit: 50_000 },
    ]);
  });

  describe('settled into another currency (realised FX)', () => {
    const eurCharge: OurRow = { ...charge, id: 'chg_eur', currency: 'EUR' };
    const booked = (rate: string) => ({
      from: 'EUR' as const,
      to: 'USD' as const,
      rate,
      source: 'ecb',
      asOf: new Date('2026-05-01T00:00:00Z'),
    });
    // €100.00 settled by Stripe at 1.0850: $108.50, fee 2.9 % + 30 = $3.45
    const settled = txn({ amountMinor: 10_850, feeMinor: 345, exchangeRate: '1.085' });

    it('our snapshot 1.08 < Stripe 1.085: EUR clearing cleared, a $0.50 gain, balanced per currency', () => {
      const result = reconcileMovement(settled, eurCharge, STANDARD_FEE_SCHEDULE, booked('1.08'));
      expect(result).toMatchObject({ outcome: 'matched', exceptions: [], ourAmount: 10_800 });
      expect(lines(result.postings)).toEqual([
        { account: 'processor_clearing', currency: 'EUR', credit: 10_000 },
        { account: 'currency_conversion', currency: 'EUR', debit: 10_000 },
        { account: 'stripe_balance_pending', currency: 'USD', debit: 10_505 },
        { account: 'processor_fees', currency: 'USD', debit: 345 },
        { account: 'currency_conversion', currency: 'USD', credit: 10_800 },
        { account: 'fx_gains_losses', currency: 'USD', credit: 50 },
      ]);
    });

    it('our snapshot 1.09 > Stripe 1.085: a $0.50 loss', () => {
      const result = reconcileMovement(settled, eurCharge, STANDARD_FEE_SCHEDULE, booked('1.09'));
      expect(lines(result.postings)).toContainEqual({
        account: 'fx_gains_losses',
        currency: 'USD',
        debit: 50,
      });
      expect(lines(result.postings)).toContainEqual({
        account: 'currency_conversion',
        currency: 'USD',
        credit: 10_900,
      });
    });

    it("the row-currency half carries the row's day snapshot: rows of different days stay separate lines", () => {
      const snapshot = (rate: string, day: string) => ({
        reportingCurrency: 'USD',
        rate,
        source: 'ecb',
        asOf: new Date(`${day}T00:00:00Z`),
      });
      const mayFirst = { ...booked('1.08'), rowSnapshot: snapshot('1.08', '2026-05-01') };
      const maySecond = { ...booked('1.09'), rowSnapshot: snapshot('1.09', '2026-05-02') };
      const page = postingLines([
        ...reconcileMovement(settled, eurCharge, STANDARD_FEE_SCHEDULE, mayFirst).postings,
        ...reconcileMovement(settled, { ...eurCharge, id: 'chg_eur_2' }, STANDARD_FEE_SCHEDULE, maySecond)
          .postings,
      ]);
      expect(page.filter((line) => line.currency === 'EUR')).toEqual([
        { account: 'processor_clearing', currency: 'EUR', credit: 10_000, fx: mayFirst.rowSnapshot },
        { account: 'currency_conversion', currency: 'EUR', debit: 10_000, fx: mayFirst.rowSnapshot },
        { account: 'processor_clearing', currency: 'EUR', credit: 10_000, fx: maySecond.rowSnapshot },
        { account: 'currency_conversion', currency: 'EUR', debit: 10_000, fx: maySecond.rowSnapshot },
      ]);
      // The settlement-currency half is valued as every other line (the entry's day): one line each.
      expect(
        page.filter((line) => line.currency === 'USD' && line.account === 'currency_conversion'),
      ).toEqual([{ account: 'currency_conversion', currency: 'USD', credit: 10_800 + 10_900 }]);
    });

    it('without our rate for the day it stays an amount mismatch (to suspense), as before', () => {
      const result = reconcileMovement(settled, eurCharge, STANDARD_FEE_SCHEDULE, null);
      expect(result.outcome).toBe('amount_mismatch');
    });
  });
});
