import { DynamicModule, Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '../config/app-config';
import { dataSourceOptions } from './data-source-options';

@Global()
@Module({})
export class DatabaseModule {
  /** `connectLater` leaves connecting to the caller (the CLI creates the database first). */
  static forRoot(options: { connectLater?: boolean } = {}): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRootAsync({
          inject: [AppConfig],
          useFactory: (config: AppConfig) => ({
            ...dataSourceOptions(config.databaseUrl),
            // The CLI migrates explicitly (db migrate), never as a side effect of connecting.
            migrationsRun: options.connectLater ? false : config.migrationsRun,
            manualInitialization: options.connectLater ?? false,
          }),
        }),
      ],
    };
  }
}
