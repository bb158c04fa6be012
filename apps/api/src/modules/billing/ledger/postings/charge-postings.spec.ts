import { chargeSucceededEntry } from './charge-postings';

describe('chargeSucceededEntry', () => {
  it('moves the receivable into processor clearing at the time of the payment', () => {
    const paidAt = new Date('2026-11-02T10:00:00Z');
    const draft = chargeSucceededEntry({
      id: 'chg_1',
      customerId: 'cust_1',
      amount: 11920,
      currency: 'USD',
      invoiceId: 'inv_1',
      paidAt,
    });
    expect(draft).toEqual({
      sourceType: 'charge',
      sourceId: 'chg_1',
      event: 'charge.succeeded',
      occurredAt: paidAt,
      customerId: 'cust_1',
      memo: 'invoice inv_1',
      lines: [
        { account: 'processor_clearing', currency: 'USD', debit: 11920 },
        { account: 'accounts_receivable', currency: 'USD', credit: 11920 },
      ],
    });
  });
});
