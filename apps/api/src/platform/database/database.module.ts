import { DynamicModule, Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '../config/app-config';
import type { DataSourceOptions } from 'typeorm';

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
            ...options.dataSourceOptions(config.databaseUrl),
            // The CLI migrates explicitly (db migrate), never as a side effect of connecting.
            migrationsRun: options.connectLater ? false : config.migrationsRun,
            manualInitialization: options.connectLater ?? false,
          }),
        }),
      ],
    };
  }
}
