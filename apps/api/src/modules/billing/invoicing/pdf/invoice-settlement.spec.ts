import { parseCurrencyCode } from '@astrix/pricing';
import { settlementOf } from './invoice-settlement';

const USD = parseCurrencyCode('USD');

describe('settlementOf', () => {
  it('owes nothing on an invoice paid entirely from the customer balance', () => {
    expect(
      settlementOf({ currency: USD, total: 2900, creditApplied: 2900, amountPaid: 0, creditNotes: [] }),
    ).toEqual({
      total: 2900,
      credited: 0,
      appliedFromBalance: 2900,
      paid: 0,
      amountDue: 0,
      creditedBack: 0,
    });
  });

  it('subtracts balance applied, payments and credit notes from the total', () => {
    expect(
      settlementOf({
        currency: USD,
        total: 10000,
        creditApplied: 1500,
        amountPaid: 3000,
        creditNotes: [500, 1000],
      }),
    ).toMatchObject({ credited: 1500, amountDue: 4000, creditedBack: 0 });
  });

  it('credits back what was settled beyond the total, never a negative amount due', () => {
    expect(
      settlementOf({
        currency: USD,
        total: 29900,
        creditApplied: 0,
        amountPaid: 29900,
        creditNotes: [29900],
      }),
    ).toMatchObject({ amountDue: 0, creditedBack: 29900 });
  });

  it('keeps the minor units of zero-decimal and three-decimal currencies', () => {
    const jpy = settlementOf({
      currency: parseCurrencyCode('JPY'),
      total: 45000,
      creditApplied: 5000,
      amountPaid: 0,
      creditNotes: [],
    });
    expect(jpy.amountDue).toBe(40000);
    const kwd = settlementOf({
      currency: parseCurrencyCode('KWD'),
      total: 1250,
      creditApplied: 0,
      amountPaid: 1000,
      creditNotes: [125],
    });
    expect(kwd.amountDue).toBe(125);
  });
});
