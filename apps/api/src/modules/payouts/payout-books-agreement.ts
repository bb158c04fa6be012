import { abs, compare, money, parseCurrencyCode, subtract, type Money } from '@astrix/pricing';
import type { LedgerAccountTotals } from '../billing';

/** Payouts' own ledger, per currency: what was reserved, released and paid (fee refunds apart). */
export interface PayoutLedgerTotals {
  readonly currency: string;
  readonly reserved: number;
  readonly released: number;
  readonly paid: number;
}

/** One figure on which payouts' ledger and the journal's trader payout accounts disagree. */
export interface PayoutLedgerDisagreement {
  readonly currency: string;
  /** owed: reserved, not yet paid or released (trader_payouts_payable); expense: the traders' share
   * kept reserved or paid (trader_payouts_expense); paid: sent to traders (trader_payouts_clearing). */
  readonly figure: 'owed' | 'expense' | 'paid';
  readonly payouts: number;
  readonly journal: number;
  /** How far apart they are. */
  readonly difference: number;
}

const FIGURES = ['owed', 'expense', 'paid'] as const;

/**
 * Compares payouts' ledger with the journal's trader payout entries (the totals of entries whose
 * source is a trader payout), per currency: both are posted in the same transactions, so any
 * difference is a payout movement one of them missed.
 */
export function payoutLedgerDisagreements(
  ledger: readonly PayoutLedgerTotals[],
  journal: readonly LedgerAccountTotals[],
): PayoutLedgerDisagreement[] {
  const currencies = [
    ...new Set([...ledger.map((row) => row.currency), ...journal.map((row) => row.currency)]),
  ].sort();
  const disagreements: PayoutLedgerDisagreement[] = [];
  for (const code of currencies) {
    const currency = parseCurrencyCode(code);
    const of = (amount: number): Money => money(amount, currency);
    const side = (account: LedgerAccountTotals['account']) => {
      const row = journal.find((totals) => totals.account === account && totals.currency === code);
      return { debits: of(row?.debits ?? 0), credits: of(row?.credits ?? 0) };
    };
    const own = ledger.find((row) => row.currency === code) ?? { reserved: 0, released: 0, paid: 0 };
    const kept = subtract(of(own.reserved), of(own.released));
    const payable = side('trader_payouts_payable');
    const expense = side('trader_payouts_expense');
    const clearing = side('trader_payouts_clearing');
    const expected: Record<(typeof FIGURES)[number], [payouts: Money, journal: Money]> = {
      owed: [subtract(kept, of(own.paid)), subtract(payable.credits, payable.debits)],
      expense: [kept, subtract(expense.debits, expense.credits)],
      paid: [of(own.paid), subtract(clearing.credits, clearing.debits)],
    };
    for (const figure of FIGURES) {
      const [payouts, booked] = expected[figure];
      if (compare(payouts, booked) !== 0) {
        disagreements.push({
          currency: code,
          figure,
          payouts: payouts.amountMinor,
          journal: booked.amountMinor,
          difference: abs(subtract(payouts, booked)).amountMinor,
        });
      }
    }
  }
  return disagreements;
}
