import { DynamicModule, Global, Module } from '@nestjs/common';
import { BullModule } from '@nestjs/bullmq';
import { DiscoveryModule } from '@nestjs/core';
import { AppConfig } from '../config/app-config';
import { DEFAULT_JOB_OPTIONS, QUEUE_NAMES } from './job-registry';
import { JobHandlerRegistry } from './job-handler-registry.service';
import { JobQueue } from './job-queue.service';
import { QUEUE_WORKERS } from './queue-workers';
import { redisOptionsFromUrl } from './redis-options';

/**
 * Queues for every process; in processes that run workers, also one worker per queue and the
 * registry of job handlers (which refuses to start unless every job name has exactly one).
 */
@Global()
@Module({})
export class QueuesModule {
  static forRoot(options: { workers: boolean }): DynamicModule {
    return {
      module: QueuesModule,
      imports: [
        DiscoveryModule,
        BullModule.forRootAsync({
          inject: [AppConfig],
          useFactory: (config: AppConfig) => ({
            connection: { ...redisOptionsFromUrl(config.redisUrl), maxRetriesPerRequest: null },
            prefix: config.queuePrefix,
            defaultJobOptions: DEFAULT_JOB_OPTIONS,
          }),
        }),
        BullModule.registerQueue(...QUEUE_NAMES.map((name) => ({ name }))),
      ],
      providers: [JobQueue, ...(options.workers ? [JobHandlerRegistry, ...QUEUE_WORKERS] : [])],
      exports: [JobQueue, BullModule],
    };
  }
}
