import { DynamicModule, Global, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { EventDispatcher } from './event-dispatcher.service';
import { EventsProcessor } from './events.processor';
import { OutboxRelay } from './outbox-relay.service';

/** Outbox, relay, dispatcher; the queue worker only in processes that run workers. */
@Global()
@Module({})
export class EventsModule {
  static forRoot(options: { workers: boolean }): DynamicModule {
    return {
      module: EventsModule,
      imports: [DiscoveryModule],
      providers: [OutboxRelay, EventDispatcher, ...(options.workers ? [EventsProcessor] : [])],
      exports: [OutboxRelay, EventDispatcher],
    };
  }
}
