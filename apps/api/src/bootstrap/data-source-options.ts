import { DataSourceOptions } from 'typeorm';
import { SnakeNamingStrategy } from 'typeorm-naming-strategies';
import { ACCOUNTS_ENTITIES } from '../modules/accounts/accounts-entities';
import { BILLING_ENTITIES } from '../modules/billing/billing-entities';
import { PAYOUTS_ENTITIES } from '../modules/payouts/payouts-entities';
import { OUTBOUND_ENTITIES } from '../modules/notifications/outbound-entities';
import { PLATFORM_ENTITIES } from '../platform/platform-entities';
import { MIGRATIONS } from '../migrations';
import { QueryLogger } from '../platform/logging/query-logger';

/** Entities of every module; each module appends its own list here. */
export const ALL_ENTITIES = [
  ...PLATFORM_ENTITIES,
  ...BILLING_ENTITIES,
  ...ACCOUNTS_ENTITIES,
  ...OUTBOUND_ENTITIES,
  ...PAYOUTS_ENTITIES,
];

/** The one place the TypeORM connection is described: app, CLI and tests share it. */
export function dataSourceOptions(databaseUrl: string, applicationName = 'astrix-api'): DataSourceOptions {
  return {
    type: 'postgres',
    url: databaseUrl,
    entities: ALL_ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    namingStrategy: new SnakeNamingStrategy(),
    synchronize: false,
    logging: false,
    // Failed queries at debug level, never with their parameters.
    logger: new QueryLogger(),
    applicationName,
    // Pipelining (node-postgres): statements a caller issues together on one connection (Promise.all in
    // a transaction) go out without waiting for each other's answers, one round trip for all; the
    // server still runs them in order, each with its own result or error.
    extra: { max: 20, connectionTimeoutMillis: 5000, pipeline: true },
  };
}
