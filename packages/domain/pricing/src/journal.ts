import { getCurrency } from './currency';
import { InvalidAmountError } from './errors';
import { assertMinorUnits, checkedAdd } from './integers';

/** One side of one line of a journal entry: an account is debited or credited, never both. */
export interface JournalAmount {
  readonly account: string;
  readonly currency: string;
  readonly debit: number;
  readonly credit: number;
}

/** What an entry's lines add up to in one currency; balanced when debits equal credits. */
export interface CurrencyTotals {
  readonly currency: string;
  readonly debits: number;
  readonly credits: number;
}

/** Debit and credit totals per currency, in the order currencies first appear. */
export function journalTotals(lines: readonly JournalAmount[]): CurrencyTotals[] {
  const totals = new Map<string, { debits: number; credits: number }>();
  for (const line of lines) {
    assertJournalAmount(line);
    const current = totals.get(line.currency) ?? { debits: 0, credits: 0 };
    totals.set(line.currency, {
      debits: checkedAdd(current.debits, line.debit, `debits in ${line.currency}`),
      credits: checkedAdd(current.credits, line.credit, `credits in ${line.currency}`),
    });
  }
  return [...totals].map(([currency, { debits, credits }]) => ({ currency, debits, credits }));
}

/** The currencies in which debits and credits differ (empty when the entry balances). */
export function journalImbalances(lines: readonly JournalAmount[]): CurrencyTotals[] {
  return journalTotals(lines).filter((totals) => totals.debits !== totals.credits);
}

/**
 * Throws unless the lines make a balanced double entry: every currency's debits equal its credits,
 * each line debits or credits a non-negative integer amount (not both), and something moves.
 */
export function assertBalancedJournal(lines: readonly JournalAmount[], what = 'journal entry'): void {
  const imbalances = journalImbalances(lines);
  if (imbalances.length > 0) {
    const detail = imbalances
      .map((totals) => `${totals.currency} debits ${totals.debits} ≠ credits ${totals.credits}`)
      .join('; ');
    throw new InvalidAmountError(`${what} does not balance: ${detail}`);
  }
  if (!lines.some((line) => line.debit > 0 || line.credit > 0)) {
    throw new InvalidAmountError(`${what} moves no money`);
  }
}

/**
 * A signed balance from totals: positive on the account's normal side (debit-normal accounts such
 * as assets and expenses grow with debits; credit-normal ones with credits).
 */
export function normalBalance(debits: number, credits: number, normalSide: 'debit' | 'credit'): number {
  assertMinorUnits(debits, 'debits');
  assertMinorUnits(credits, 'credits');
  return normalSide === 'debit'
    ? checkedAdd(debits, -credits, 'debit-normal balance')
    : checkedAdd(credits, -debits, 'credit-normal balance');
}

function assertJournalAmount(line: JournalAmount): void {
  getCurrency(line.currency);
  assertMinorUnits(line.debit, line.currency);
  assertMinorUnits(line.credit, line.currency);
  if (line.debit < 0 || line.credit < 0) {
    throw new InvalidAmountError(
      `line on ${line.account} has a negative side (debit ${line.debit}, credit ${line.credit}); reverse the sides instead`,
    );
  }
  if (line.debit > 0 && line.credit > 0) {
    throw new InvalidAmountError(`line on ${line.account} both debits and credits; split it in two lines`);
  }
}
