import { DynamicModule, Global, Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { IdempotencyInterceptor } from './idempotency.interceptor';
import { IdempotencyPurgeJob } from './idempotency-purge.job';
import { IdempotencyStore } from './idempotency.store';

@Global()
@Module({})
export class IdempotencyModule {
  static forRoot(options: { workers: boolean }): DynamicModule {
    return {
      module: IdempotencyModule,
      providers: [
        IdempotencyStore,
        { provide: APP_INTERCEPTOR, useClass: IdempotencyInterceptor },
        ...(options.workers ? [IdempotencyPurgeJob] : []),
      ],
      exports: [IdempotencyStore],
    };
  }
}
