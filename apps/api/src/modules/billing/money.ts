import { type Money, money, parseCurrencyCode } from '@astrix/pricing';

/** Money from a stored amount and currency column (currency codes are validated on the way in). */
export const storedMoney = (amountMinor: number | string, currency: string): Money =>
  money(amountMinor, parseCurrencyCode(currency));
