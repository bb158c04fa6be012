import {
  compareWithProcessor,
  paidMoreThanOnce,
  sortFindings,
  type BookedCharge,
  type ProcessorPaymentRecord,
} from './books-findings';
import { storedMoney } from '../money';

const payment = (overrides: Partial<ProcessorPaymentRecord> = {}): ProcessorPaymentRecord => ({
  chargeId: 'ch_1',
  paymentIntentId: 'pi_1',
  succeeded: true,
  amount: 29_900,
  amountRefunded: 0,
  currency: 'USD',
  invoiceId: null,
  ...overrides,
});

const booked = (overrides: Partial<BookedCharge> = {}): BookedCharge => ({
  id: 'chg_1',
  stripeChargeId: 'ch_1',
  stripePaymentIntentId: 'pi_1',
  amount: 29_900,
  amountRefunded: 0,
  currency: 'USD',
  invoiceId: 'inv_1',
  hasPendingRefund: false,
  ...overrides,
});

describe('compareWithProcessor', () => {
  it('finds nothing when every processor payment is a charge of ours with the same refunds', () => {
    expect(
      compareWithProcessor({
        processorPayments: [payment({ amountRefunded: 500 })],
        bookedCharges: [booked({ amountRefunded: 500 })],
        chargesToVerify: ['chg_1'],
      }),
    ).toEqual([]);
  });

  it('matches by payment intent when our charge has no processor charge id', () => {
    expect(
      compareWithProcessor({
        processorPayments: [payment()],
        bookedCharges: [booked({ stripeChargeId: null })],
        chargesToVerify: ['chg_1'],
      }),
    ).toEqual([]);
  });

  it('reports a succeeded processor payment our books do not hold, for what was not refunded', () => {
    const findings = compareWithProcessor({
      processorPayments: [payment({ chargeId: 'ch_2', paymentIntentId: 'pi_2', amountRefunded: 900 })],
      bookedCharges: [],
      chargesToVerify: [],
    });

    expect(findings).toEqual([
      expect.objectContaining({
        kind: 'processor_payment_not_in_books',
        subject: 'ch_2',
        ids: ['ch_2', 'pi_2'],
        amount: 29_000,
        currency: 'USD',
      }),
    ]);
  });

  it('accepts a processor payment refunded in full that our books never held, and ignores failed ones', () => {
    expect(
      compareWithProcessor({
        processorPayments: [
          payment({ chargeId: 'ch_2', paymentIntentId: 'pi_2', amountRefunded: 29_900 }),
          payment({ chargeId: 'ch_3', paymentIntentId: 'pi_3', succeeded: false }),
        ],
        bookedCharges: [],
        chargesToVerify: [],
      }),
    ).toEqual([]);
  });

  it('reports refund totals that disagree, unless a refund of ours is still pending', () => {
    const disagree = compareWithProcessor({
      processorPayments: [payment({ amountRefunded: 10_000 })],
      bookedCharges: [booked({ amountRefunded: 4_000 })],
      chargesToVerify: ['chg_1'],
    });
    const pending = compareWithProcessor({
      processorPayments: [payment({ amountRefunded: 10_000 })],
      bookedCharges: [booked({ amountRefunded: 4_000, hasPendingRefund: true })],
      chargesToVerify: ['chg_1'],
    });

    expect(disagree).toEqual([
      expect.objectContaining({ kind: 'refund_totals_disagree', subject: 'chg_1', amount: 6_000 }),
    ]);
    expect(pending).toEqual([]);
  });

  it('reports a charge of ours the processor has no succeeded payment for', () => {
    const findings = compareWithProcessor({
      processorPayments: [payment({ succeeded: false })],
      bookedCharges: [booked(), booked({ id: 'chg_2', stripeChargeId: 'ch_9', stripePaymentIntentId: null })],
      chargesToVerify: ['chg_1', 'chg_2'],
    });

    expect(findings.map((finding) => [finding.kind, finding.subject, finding.amount])).toEqual([
      ['charge_not_at_processor', 'chg_1', 29_900],
      ['charge_not_at_processor', 'chg_2', 29_900],
    ]);
  });

  it('reports an invoice with two succeeded payments at the processor unless the extra is refunded', () => {
    const twice = compareWithProcessor({
      processorPayments: [
        payment({ invoiceId: 'inv_1' }),
        payment({ chargeId: 'ch_2', paymentIntentId: 'pi_2', invoiceId: 'inv_1' }),
      ],
      bookedCharges: [booked()],
      chargesToVerify: ['chg_1'],
    });
    const refunded = compareWithProcessor({
      processorPayments: [
        payment({ invoiceId: 'inv_1' }),
        payment({ chargeId: 'ch_2', paymentIntentId: 'pi_2', invoiceId: 'inv_1', amountRefunded: 29_900 }),
      ],
      bookedCharges: [booked()],
      chargesToVerify: ['chg_1'],
    });

    expect(sortFindings(twice).map((finding) => [finding.kind, finding.subject, finding.amount])).toEqual([
      ['invoice_paid_more_than_once', 'inv_1', 29_900],
      ['processor_payment_not_in_books', 'ch_2', 29_900],
    ]);
    expect(twice[1].ids).toEqual(['inv_1', 'chg_1', 'ch_1', 'pi_1', 'ch_2', 'pi_2']);
    expect(refunded).toEqual([]);
  });
});

describe('paidMoreThanOnce', () => {
  it('puts at stake everything kept beyond the largest payment', () => {
    const finding = paidMoreThanOnce('inv_1', [
      { ids: ['chg_1'], kept: storedMoney(1_000, 'JPY') },
      { ids: ['chg_2'], kept: storedMoney(3_000, 'JPY') },
      { ids: ['chg_3'], kept: storedMoney(500, 'JPY') },
    ]);

    expect(finding).toMatchObject({
      kind: 'invoice_paid_more_than_once',
      subject: 'inv_1',
      ids: ['inv_1', 'chg_1', 'chg_2', 'chg_3'],
      amount: 1_500,
      currency: 'JPY',
    });
    expect(finding.message).toBe('invoice inv_1 kept 3 payments; JPY 1500 beyond one is not refunded');
  });
});
