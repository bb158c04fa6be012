import { Column, ValueTransformer } from 'typeorm';

/** Postgres bigint arrives as a string; we keep safe integers only and refuse anything else. */
export const bigintToNumber: ValueTransformer = {
  to: (value: number | null | undefined) => value,
  from: (value: string | null) => {
    if (value === null) return null;
    const parsed = Number(value);
    if (!Number.isSafeInteger(parsed)) throw new Error(`bigint ${value} exceeds the safe integer range`);
    return parsed;
  },
};

/** A money amount: integer minor units in a Postgres bigint. */
export const MinorUnits = (options: { nullable?: boolean; default?: number } = {}): PropertyDecorator =>
  Column({ type: 'bigint', transformer: bigintToNumber, ...options });
