import { formatMoney, money, moneyFromDecimal, parseCurrencyCode } from '@astrix/pricing';

/** Minor units of a currency shown as money ("$1,234.56"), never through a float. */
export function formatMinor(amount: number, currency: string): string {
  try {
    return formatMoney(money(amount, parseCurrencyCode(currency)));
  } catch {
    return `${amount} ${currency} (minor units)`;
  }
}

/** A decimal amount typed in major units ("12.50") as minor units of the currency, or an error message. */
export function parseMajor(value: string, currency: string): { minor: number } | { error: string } {
  try {
    const parsed = moneyFromDecimal(value.trim(), parseCurrencyCode(currency));
    const minor = parsed.amountMinor;
    if (!Number.isSafeInteger(minor) || minor <= 0) return { error: 'Enter an amount above zero.' };
    return { minor };
  } catch (error) {
    return { error: error instanceof Error ? error.message : 'Not an amount.' };
  }
}

export function formatDate(iso: string | null | undefined): string {
  if (!iso) return '—';
  return new Date(iso).toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
}
