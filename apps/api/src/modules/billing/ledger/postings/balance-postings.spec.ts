import type { BalanceTransactionKind } from '../../customers/customer-balance.entity';
import { balanceEvent, balanceTransactionEntry } from './balance-postings';

const transaction = (kind: BalanceTransactionKind, amount: number) => ({
  id: 'cbt_1',
  customerId: 'cust_1',
  currency: 'EUR',
  amount,
  kind,
  invoiceId: kind === 'goodwill_credit' || kind === 'adjustment' ? null : 'inv_1',
  createdAt: new Date('2026-11-02T10:00:00Z'),
});

const sides = (kind: BalanceTransactionKind, amount: number) =>
  balanceTransactionEntry(transaction(kind, amount)).lines.map((line) => [
    line.account,
    line.debit ?? 0,
    line.credit ?? 0,
  ]);

describe('balanceTransactionEntry', () => {
  it('spends credit on an invoice against its receivable', () => {
    expect(balanceEvent(transaction('applied_to_invoice', -500))).toBe('balance.applied');
    expect(sides('applied_to_invoice', -500)).toEqual([
      ['customer_credit', 500, 0],
      ['accounts_receivable', 0, 500],
    ]);
  });

  it('restores credit from a voided invoice out of its receivable', () => {
    expect(balanceEvent(transaction('invoice_voided', 500))).toBe('balance.restored');
    expect(sides('invoice_voided', 500)).toEqual([
      ['accounts_receivable', 500, 0],
      ['customer_credit', 0, 500],
    ]);
  });

  it('moves the negative total of a downgrade or cancellation invoice to customer credit', () => {
    for (const kind of ['downgrade_credit', 'cancellation_credit'] as const) {
      expect(balanceEvent(transaction(kind, 700))).toBe('balance.credited');
      expect(sides(kind, 700)).toEqual([
        ['accounts_receivable', 700, 0],
        ['customer_credit', 0, 700],
      ]);
    }
  });

  it('gives goodwill and positive adjustments from refunds, and takes negative adjustments back', () => {
    expect(sides('goodwill_credit', 300)).toEqual([
      ['refunds', 300, 0],
      ['customer_credit', 0, 300],
    ]);
    expect(balanceEvent(transaction('adjustment', 300))).toBe('balance.credited');
    expect(balanceEvent(transaction('adjustment', -300))).toBe('balance.debited');
    expect(sides('adjustment', -300)).toEqual([
      ['customer_credit', 300, 0],
      ['refunds', 0, 300],
    ]);
  });

  it('names the source, customer and time of the movement', () => {
    expect(balanceTransactionEntry(transaction('applied_to_invoice', -500))).toMatchObject({
      sourceType: 'customer_balance_transaction',
      sourceId: 'cbt_1',
      customerId: 'cust_1',
      occurredAt: new Date('2026-11-02T10:00:00Z'),
      memo: 'applied_to_invoice, invoice inv_1',
    });
  });
});
