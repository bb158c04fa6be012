import { Injectable } from '@nestjs/common';
import { JobHandler } from '../../platform/queues/job-handler.decorator';
import type { JobPayloads } from '../../platform/queues/job-registry';
import { PayoutExecution } from './payout-execution.service';

/** Handler of the `payouts` queue: processor refusals settle the payout; anything else retries the job. */
@Injectable()
export class PayoutsJobs {
  constructor(private readonly execution: PayoutExecution) {}

  @JobHandler('payouts.execute-payout')
  executePayout({ payoutId, attempt }: JobPayloads['payouts.execute-payout']): Promise<unknown> {
    return this.execution.execute(payoutId, attempt);
  }
}
