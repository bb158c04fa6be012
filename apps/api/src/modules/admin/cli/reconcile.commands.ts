import { Inject } from '@nestjs/common';
import { Command, CommandRunner, Option } from 'nest-commander';
import { Reconciliations } from '../../billing';
import { CLI_APP_CONTEXT_FACTORY, type CliAppContextFactory } from '../../../platform/cli/cli-app-context';
import { PaymentProcessorHost } from '../../../platform/payment-processor/payment-processor.provider';
import { QUEUE_NAMES } from '../../../platform/queues/job-registry';
import { JobQueue } from '../../../platform/queues/job-queue.service';
import { parseCalendarDay } from '../../../platform/http/instant';
import { print } from './cli-support';

interface ReconcileFlags {
  json?: boolean;
  date?: string;
}

const CLI_ACTOR = { actor: { kind: 'system' as const, name: 'cli-reconcile' }, requestId: null };

/**
 * `reconcile --date D`: reconciles the UTC day D against Stripe here, to the end (resuming a stopped
 * run; a day done before is walked again and posts nothing new). Prints the counts and the
 * exceptions; exit code 1 when there is any exception.
 */
@Command({
  name: 'reconcile',
  description: "Reconcile a UTC day of Stripe's balance transactions and payouts against the books",
})
export class ReconcileCommand extends CommandRunner {
  constructor(@Inject(CLI_APP_CONTEXT_FACTORY) private readonly startApp: CliAppContextFactory) {
    super();
  }

  async run(_: string[], options: ReconcileFlags): Promise<void> {
    if (!options.date) throw new Error('--date is required, e.g. --date 2026-05-01');
    const app = await this.startApp();
    try {
      // In sandbox mode the API hosts the fake Stripe; a CLI that had to start its own holds nothing.
      const host = app.get(PaymentProcessorHost, { strict: false });
      if (host.sandboxServer !== null) {
        throw new Error(
          `sandbox mode: no running API hosts the sandbox Stripe on port ${host.sandboxServer.port}; ` +
            'ask the API instead (POST /v1/admin/reconciliations) or start it with the same STRIPE_SANDBOX_PORT',
        );
      }
      const reconciliations = app.get(Reconciliations, { strict: false });
      const run = await reconciliations.runNow(options.date, CLI_ACTOR);
      const exceptions = await reconciliations.allExceptions(run.id);
      const view = await reconciliations.view(run.id, { limit: 1 });
      print(
        options.json,
        { ...view, exceptions: { data: exceptions, nextCursor: null } },
        exceptions.map((row) => ({
          kind: row.kind,
          subject: row.subject,
          currency: row.currency,
          processorAmount: row.processorAmount ?? '',
          ourAmount: row.ourAmount ?? '',
          status: row.status,
          message: row.message,
        })),
        ['kind', 'subject', 'currency', 'processorAmount', 'ourAmount', 'status', 'message'],
      );
      if (!options.json) {
        const counts = view.counts;
        process.stderr.write(
          `reconciliation ${view.id} of ${view.date}: ${counts?.balanceTransactions ?? 0} balance transactions, ` +
            `${counts?.matched ?? 0} matched, ${exceptions.length} exception(s)\n`,
        );
      }
      if (exceptions.length > 0) process.exitCode = 1;
    } finally {
      const jobs = app.get(JobQueue, { strict: false });
      await Promise.allSettled(QUEUE_NAMES.map((name) => jobs.queue(name).waitUntilReady()));
      await app.close();
    }
  }

  @Option({ flags: '--date <day>', description: 'The UTC day, YYYY-MM-DD', required: true })
  parseDate(value: string): string {
    if (parseCalendarDay(value) === null) throw new Error('--date must be a UTC day, YYYY-MM-DD');
    return value;
  }

  @Option({ flags: '--json', description: 'Print the run and its exceptions as JSON' })
  parseJson(): boolean {
    return true;
  }
}

export const RECONCILE_COMMANDS = [ReconcileCommand];
