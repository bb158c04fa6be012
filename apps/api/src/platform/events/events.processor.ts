import { Processor, WorkerHost } from '@nestjs/bullmq';
import type { Job } from 'bullmq';
import type { JobPayloads } from '../queues/job-registry';
import { EventDispatcher } from './event-dispatcher.service';

/** Worker for the `events` queue: hands each delivered event to its consumers. */
@Processor('events', { concurrency: 8 })
export class EventsProcessor extends WorkerHost {
  constructor(private readonly dispatcher: EventDispatcher) {
    super();
  }

  async process(job: Job<JobPayloads['events.deliver']>): Promise<void> {
    await this.dispatcher.dispatch(job.data);
  }
}
