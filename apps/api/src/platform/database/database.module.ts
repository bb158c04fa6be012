import { DynamicModule, Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '../config/app-config';
import type { DataSourceOptions } from 'typeorm';

/**
 * The pool size and connect timeout from the settings; the statement timeout for the long-running
 * processes only (API, workers), never for the CLI, whose `db migrate` may rightly take long.
 */
export function withPoolSettings(
  base: DataSourceOptions,
  config: Pick<AppConfig, 'databasePool'>,
  limitStatements: boolean,
): DataSourceOptions {
  const pool = config.databasePool;
  const extra = (base.extra ?? {}) as Record<string, unknown>;
  return {
    ...base,
    extra: {
      ...extra,
      max: pool.max,
      connectionTimeoutMillis: pool.connectionTimeoutMillis,
      ...(limitStatements && pool.statementTimeoutMs > 0
        ? { statement_timeout: pool.statementTimeoutMs }
        : {}),
    },
  } as DataSourceOptions;
}

@Global()
@Module({})
export class DatabaseModule {
  /**
   * `dataSourceOptions` comes from the composition root, which knows every module's entities;
   * `connectLater` leaves connecting to the caller (the CLI creates the database first).
   */
  static forRoot(options: {
    dataSourceOptions: (databaseUrl: string) => DataSourceOptions;
    connectLater?: boolean;
  }): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRootAsync({
          inject: [AppConfig],
          useFactory: (config: AppConfig) => ({
            ...withPoolSettings(options.dataSourceOptions(config.databaseUrl), config, !options.connectLater),
            // The CLI migrates explicitly (db migrate), never as a side effect of connecting.
            migrationsRun: options.connectLater ? false : config.migrationsRun,
            manualInitialization: options.connectLater ?? false,
          }),
        }),
      ],
    };
  }
}
