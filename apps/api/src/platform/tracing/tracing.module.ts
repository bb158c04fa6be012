import { Global, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { stopTracing } from './tracing';

/** Flushes the spans still buffered when the application stops. */
@Injectable()
export class TracingShutdown implements OnApplicationShutdown {
  async onApplicationShutdown(): Promise<void> {
    await stopTracing();
  }
}

@Global()
@Module({ providers: [TracingShutdown] })
export class TracingModule {}
