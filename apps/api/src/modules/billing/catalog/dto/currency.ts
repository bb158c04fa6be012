import { Transform } from 'class-transformer';
import { ValidationOptions, registerDecorator } from 'class-validator';
import { isCurrencyCode } from '@astrix/pricing';

/** Trims and upper-cases a currency code from outside input ("usd " → "USD"); leaves other types alone. */
export const NormalizeCurrency = (): PropertyDecorator =>
  Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' ? value.trim().toUpperCase() : value,
  );

/** An ISO 4217 code that @astrix/pricing knows (and so can price in). */
export function IsCurrencyCode(options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'isCurrencyCode',
      target: target.constructor,
      propertyName: String(propertyName),
      options: {
        message: ({ property }) => `${property} must be an ISO 4217 currency code such as USD`,
        ...options,
      },
      validator: { validate: (value: unknown) => isCurrencyCode(value) },
    });
}
