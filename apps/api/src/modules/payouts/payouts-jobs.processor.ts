import { Processor, WorkerHost } from '@nestjs/bullmq';
import type { Job } from 'bullmq';
import type { JobPayloads } from '../../platform/queues/job-registry';
import { PayoutExecution } from './payout-execution.service';

type PayoutsJob = Job<JobPayloads['payouts.execute-payout'], unknown, 'payouts.execute-payout'>;

/** Worker of the `payouts` queue: processor refusals settle the payout; anything else retries the job. */
@Processor('payouts', { concurrency: 4 })
export class PayoutsJobsProcessor extends WorkerHost {
  constructor(private readonly execution: PayoutExecution) {
    super();
  }

  async process(job: PayoutsJob): Promise<unknown> {
    return this.execution.execute(job.data.payoutId, job.data.attempt);
  }
}
