import { DynamicModule, Global, Module } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Clock, SystemClock } from './clock';
import { AppConfig } from './config/app-config';
import { WORKER_ROLE } from './queues/worker-role';
import { SandboxClock } from './sandbox/sandbox-clock';

/**
 * The clock: the system clock, as in production, unless the sandbox asks for its movable clock
 * (SANDBOX_CLOCK=true, never in production); the choice is made once, at start.
 */
async function clockFor(config: AppConfig, dataSource: DataSource): Promise<Clock> {
  if (!config.sandboxClockEnabled) return new SystemClock();
  const clock = new SandboxClock(dataSource);
  await clock.start();
  return clock;
}

/** Process-wide providers: the clock and whether this process runs workers. */
@Global()
@Module({})
export class CoreModule {
  static forRoot(options: { workers: boolean }): DynamicModule {
    return {
      module: CoreModule,
      providers: [
        { provide: Clock, inject: [AppConfig, DataSource], useFactory: clockFor },
        { provide: WORKER_ROLE, useValue: options.workers },
      ],
      exports: [Clock, WORKER_ROLE],
    };
  }
}
