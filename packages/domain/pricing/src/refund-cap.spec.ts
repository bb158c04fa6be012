import fc from 'fast-check';
import { CurrencyMismatchError, InvalidAmountError } from './errors';
import { type Money, money } from './money';
import {
  type InvoiceCredits,
  type RefundCapStatus,
  type RefundOfCharge,
  creditableAmount,
  refundCap,
  refundableAmount,
} from './refund-cap';

const usd = (amount: number): Money => money(amount, 'USD');
const refund = (amount: number, status: RefundCapStatus = 'succeeded'): RefundOfCharge => ({
  amount: usd(amount),
  status,
});
const invoice = (
  invoiced: number,
  creditNotes: number[] = [],
  pendingRefunds: number[] = [],
): InvoiceCredits => ({
  invoiced: usd(invoiced),
  creditNotes: creditNotes.map(usd),
  pendingRefunds: pendingRefunds.map(usd),
});

describe('creditableAmount', () => {
  it('is the total when nothing was credited', () => {
    expect(creditableAmount(invoice(10_000))).toEqual(usd(10_000));
  });

  it('subtracts credit notes and pending refunds', () => {
    expect(creditableAmount(invoice(10_000, [2_500, 1_000], [3_000]))).toEqual(usd(3_500));
  });

  it('is zero, not negative, for an invoice credited beyond its total in the past', () => {
    expect(creditableAmount(invoice(10_000, [10_000], [500]))).toEqual(usd(0));
  });

  it('refuses negative amounts and mixed currencies', () => {
    expect(() => creditableAmount(invoice(-1))).toThrow(InvalidAmountError);
    expect(() => creditableAmount(invoice(100, [-5]))).toThrow(InvalidAmountError);
    expect(() => creditableAmount(invoice(100, [], [-5]))).toThrow(InvalidAmountError);
    expect(() =>
      creditableAmount({ invoiced: usd(100), creditNotes: [money(5, 'EUR')], pendingRefunds: [] }),
    ).toThrow(CurrencyMismatchError);
  });
});

describe('refundCap', () => {
  it('is what is left on the charge when it paid no invoice', () => {
    expect(refundCap({ charged: usd(9_900), refunds: [refund(1_000), refund(500, 'pending')] })).toEqual({
      refundable: usd(8_400),
      leftOnCharge: usd(8_400),
      creditableOnInvoice: null,
      limitedBy: 'charge',
    });
  });

  it('ignores failed and canceled refunds: they gave nothing back', () => {
    expect(
      refundableAmount({
        charged: usd(9_900),
        refunds: [refund(9_900, 'failed'), refund(9_900, 'canceled'), refund(100)],
      }),
    ).toEqual(usd(9_800));
  });

  it('refuses to refund anything once a credit note covers the whole invoice', () => {
    const cap = refundCap({ charged: usd(9_900), refunds: [], invoice: invoice(9_900, [9_900]) });
    expect(cap).toEqual({
      refundable: usd(0),
      leftOnCharge: usd(9_900),
      creditableOnInvoice: usd(0),
      limitedBy: 'invoice',
    });
  });

  it('counts a pending refund against both the charge and the invoice', () => {
    const cap = refundCap({
      charged: usd(10_000),
      refunds: [refund(4_000, 'pending')],
      invoice: invoice(10_000, [1_000], [4_000]),
    });
    expect(cap.refundable).toEqual(usd(5_000));
    expect(cap.leftOnCharge).toEqual(usd(6_000));
    expect(cap.limitedBy).toBe('invoice');
  });

  it('is limited by the charge when the invoice could credit more than the charge took', () => {
    // An invoice partly paid from the customer's balance: the card charge is smaller than the total.
    const cap = refundCap({ charged: usd(3_000), refunds: [], invoice: invoice(10_000) });
    expect(cap.refundable).toEqual(usd(3_000));
    expect(cap.limitedBy).toBe('charge');
  });

  it('is zero, not negative, for a charge refunded beyond its amount in the past', () => {
    expect(refundableAmount({ charged: usd(100), refunds: [refund(150)] })).toEqual(usd(0));
  });

  it('refuses negative amounts and a charge and invoice in different currencies', () => {
    expect(() => refundCap({ charged: usd(-1), refunds: [] })).toThrow(InvalidAmountError);
    expect(() => refundCap({ charged: usd(100), refunds: [refund(-1)] })).toThrow(InvalidAmountError);
    expect(() =>
      refundCap({
        charged: usd(100),
        refunds: [],
        invoice: { invoiced: money(100, 'EUR'), creditNotes: [], pendingRefunds: [] },
      }),
    ).toThrow(CurrencyMismatchError);
  });

  const amounts = fc.array(fc.integer({ min: 0, max: 1_000_000 }), { maxLength: 6 });
  const statuses = fc.constantFrom<RefundCapStatus>('pending', 'succeeded', 'failed', 'canceled');
  const scenario = fc.record({
    charged: fc.integer({ min: 0, max: 5_000_000 }),
    refunds: fc.array(fc.record({ amount: fc.integer({ min: 0, max: 1_000_000 }), status: statuses }), {
      maxLength: 6,
    }),
    invoice: fc.option(
      fc.record({ invoiced: fc.integer({ min: 0, max: 5_000_000 }), creditNotes: amounts }),
      { nil: null },
    ),
  });
  type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;
  const inputOf = (s: Scenario) => {
    const refunds = s.refunds.map((r) => refund(r.amount, r.status));
    const pending = s.refunds.filter((r) => r.status === 'pending').map((r) => r.amount);
    return {
      charged: usd(s.charged),
      refunds,
      invoice: s.invoice ? invoice(s.invoice.invoiced, s.invoice.creditNotes, pending) : null,
    };
  };

  it('property: a refund of the cap never takes the charge or the invoice past what they allow', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const input = inputOf(s);
        const { refundable } = refundCap(input);
        expect(refundable.amountMinor).toBeGreaterThanOrEqual(0);
        const committed = s.refunds
          .filter((r) => r.status === 'pending' || r.status === 'succeeded')
          .reduce((total, r) => total + r.amount, 0);
        if (refundable.amountMinor > 0) {
          expect(committed + refundable.amountMinor).toBeLessThanOrEqual(s.charged);
          if (s.invoice) {
            const credited = s.invoice.creditNotes.reduce((total, n) => total + n, 0);
            const pending = input.invoice?.pendingRefunds.reduce((t, m) => t + m.amountMinor, 0) ?? 0;
            expect(credited + pending + refundable.amountMinor).toBeLessThanOrEqual(s.invoice.invoiced);
          }
        }
      }),
    );
  });

  it('property: refunding the cap leaves nothing to refund, and anything above it is over a limit', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const input = inputOf(s);
        const { refundable } = refundCap(input);
        fc.pre(refundable.amountMinor > 0);
        const after = {
          ...input,
          refunds: [...input.refunds, { amount: refundable, status: 'pending' as const }],
          invoice: input.invoice
            ? { ...input.invoice, pendingRefunds: [...input.invoice.pendingRefunds, refundable] }
            : null,
        };
        expect(refundableAmount(after)).toEqual(usd(0));
      }),
    );
  });

  it('property: the cap is the lesser of the charge and invoice limits, and never grows with more refunds', () => {
    fc.assert(
      fc.property(scenario, fc.integer({ min: 0, max: 1_000_000 }), statuses, (s, amount, status) => {
        const input = inputOf(s);
        const cap = refundCap(input);
        expect(cap.refundable.amountMinor).toBe(
          Math.min(cap.leftOnCharge.amountMinor, cap.creditableOnInvoice?.amountMinor ?? Infinity),
        );
        const more = refundableAmount({ ...input, refunds: [...input.refunds, refund(amount, status)] });
        expect(more.amountMinor).toBeLessThanOrEqual(cap.refundable.amountMinor);
      }),
    );
  });

  it('property: a credit note of the creditable amount leaves the invoice with nothing to credit', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 5_000_000 }), amounts, amounts, (invoiced, notes, pending) => {
        const credits = invoice(invoiced, notes, pending);
        const creditable = creditableAmount(credits);
        expect(creditableAmount({ ...credits, creditNotes: [...credits.creditNotes, creditable] })).toEqual(
          usd(0),
        );
      }),
    );
  });
});
