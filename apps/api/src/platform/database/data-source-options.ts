import { DataSourceOptions } from 'typeorm';
import { SnakeNamingStrategy } from 'typeorm-naming-strategies';
import { BILLING_ENTITIES } from '../../modules/billing/billing-entities';
import { PLATFORM_ENTITIES } from '../platform-entities';
import { MIGRATIONS } from '../../migrations';

/** Entities of every module; each module appends its own list here. */
export const ALL_ENTITIES = [...PLATFORM_ENTITIES, ...BILLING_ENTITIES];

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
    applicationName,
    extra: { max: 20, connectionTimeoutMillis: 5000 },
  };
}
