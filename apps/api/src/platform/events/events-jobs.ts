import { Injectable } from '@nestjs/common';
import { JobHandler } from '../queues/job-handler.decorator';
import type { JobPayloads } from '../queues/job-registry';
import { EventDispatcher } from './event-dispatcher.service';

/** Handler of the `events` queue: hands each delivered event to its consumers. */
@Injectable()
export class EventsJobs {
  constructor(private readonly dispatcher: EventDispatcher) {}

  @JobHandler('events.deliver')
  async deliver(event: JobPayloads['events.deliver']): Promise<void> {
    await this.dispatcher.dispatch(event);
  }
}
