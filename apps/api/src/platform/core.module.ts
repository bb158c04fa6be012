import { DynamicModule, Global, Module } from '@nestjs/common';
import { Clock, SystemClock } from './clock';
import { WORKER_ROLE } from './queues/worker-role';

/** Process-wide providers: the clock and whether this process runs workers. */
@Global()
@Module({})
export class CoreModule {
  static forRoot(options: { workers: boolean }): DynamicModule {
    return {
      module: CoreModule,
      providers: [
        { provide: Clock, useClass: SystemClock },
        { provide: WORKER_ROLE, useValue: options.workers },
      ],
      exports: [Clock, WORKER_ROLE],
    };
  }
}
