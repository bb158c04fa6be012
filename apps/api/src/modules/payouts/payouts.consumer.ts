import { Injectable } from '@nestjs/common';
import type { AstrixEvent } from '@astrix/contracts';
import { OnEvent } from '../../platform/events/event-handler.decorator';
import { JobQueue } from '../../platform/queues/job-queue.service';

/** Approved payouts are executed by a job, after the approval committed. */
@Injectable()
export class PayoutsConsumer {
  constructor(private readonly jobs: JobQueue) {}

  @OnEvent('payouts.payout.approved', 'payouts.execute-approved')
  async onApproved(event: AstrixEvent<'payouts.payout.approved'>): Promise<void> {
    await this.jobs.enqueue({
      name: 'payouts.execute-payout',
      payload: { payoutId: event.data.payoutId, attempt: 1 },
      jobId: `${event.data.payoutId}-attempt-1`,
    });
  }
}
