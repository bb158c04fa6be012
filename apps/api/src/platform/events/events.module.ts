import { DynamicModule, Global, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { EventDispatcher } from './event-dispatcher.service';
import { EventsJobs } from './events-jobs';
import { OutboxRedelivery } from './outbox-redelivery.service';
import { OutboxRelay } from './outbox-relay.service';
import { CommitListener } from '../database/commit-listener';

/** Outbox, relay, dispatcher; the queue worker only in processes that run workers. */
@Global()
@Module({})
export class EventsModule {
  static forRoot(options: { workers: boolean }): DynamicModule {
    return {
      module: EventsModule,
      imports: [DiscoveryModule],
      providers: [
        CommitListener,
        OutboxRelay,
        OutboxRedelivery,
        EventDispatcher,
        ...(options.workers ? [EventsJobs] : []),
      ],
      exports: [CommitListener, OutboxRelay, EventDispatcher],
    };
  }
}
