import { ValidationOptions, registerDecorator } from 'class-validator';
import { isCurrencyCode } from '@astrix/pricing';
import { MAX_UNIT_AMOUNT } from '../../catalog/dto/product.dto';

const MAX_CURRENCIES = 50;

/** Why a per-currency amount map is malformed, or null when it is fine. */
export function amountsByCurrencyProblem(value: unknown): string | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return 'must map ISO currency codes to amounts in minor units, e.g. {"USD": 1000}';
  }
  const entries = Object.entries(value);
  if (entries.length === 0) return 'must define an amount in at least one currency';
  if (entries.length > MAX_CURRENCIES) return `must define at most ${MAX_CURRENCIES} currencies`;
  for (const [currency, amount] of entries) {
    if (!isCurrencyCode(currency))
      return `has ${JSON.stringify(currency)}, which is not an upper-case ISO 4217 code`;
    if (
      typeof amount !== 'number' ||
      !Number.isSafeInteger(amount) ||
      amount < 1 ||
      amount > MAX_UNIT_AMOUNT
    ) {
      return `${currency} must be a positive integer number of minor units, at most ${MAX_UNIT_AMOUNT}`;
    }
  }
  return null;
}

/** `{ "USD": 1000, "EUR": 900 }`: known currencies, positive integer minor units. */
export function IsAmountsByCurrency(options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'isAmountsByCurrency',
      target: target.constructor,
      propertyName: String(propertyName),
      options: {
        message: ({ property, value }) => `${property} ${amountsByCurrencyProblem(value) ?? 'is invalid'}`,
        ...options,
      },
      validator: { validate: (value: unknown) => amountsByCurrencyProblem(value) === null },
    });
}
