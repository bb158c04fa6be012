/** One Postgres schema per bounded context. */
export const SCHEMAS = ['platform', 'billing', 'accounts', 'payouts'] as const;
export type SchemaName = (typeof SCHEMAS)[number];
