import { Inject } from '@nestjs/common';
import { Command, CommandRunner, Option, SubCommand } from 'nest-commander';
import { BooksCheck, type BooksReport } from '../../billing';
import { CLI_APP_CONTEXT_FACTORY, type CliAppContextFactory } from '../../../platform/cli/cli-app-context';
import { QUEUE_NAMES } from '../../../platform/queues/job-registry';
import { JobQueue } from '../../../platform/queues/job-queue.service';
import { PaymentProcessorHost } from '../../../platform/payment-processor/payment-processor.provider';
import { print } from './cli-support';
import { parseInstant } from '../../../platform/http/instant';

const DEFAULT_PROCESSOR_DAYS = 7;

interface BooksCheckFlags {
  json?: boolean;
  since?: Date;
  processor?: boolean;
}

/**
 * `books check`: the invariants of our books, and our rows against the processor's records of the
 * last days. Prints the findings (a table, or the report with --json); exit code 1 when there is any.
 */
@SubCommand({
  name: 'check',
  description:
    'Check the books: double payments, stranded money, caps, stuck payouts, and the processor agrees',
})
export class BooksCheckCommand extends CommandRunner {
  constructor(@Inject(CLI_APP_CONTEXT_FACTORY) private readonly startApp: CliAppContextFactory) {
    super();
  }

  async run(_: string[], options: BooksCheckFlags): Promise<void> {
    const app = await this.startApp();
    let report: BooksReport;
    try {
      const books = app.get(BooksCheck, { strict: false });
      const since =
        options.processor === false
          ? null
          : (options.since ?? new Date(Date.now() - DEFAULT_PROCESSOR_DAYS * 86_400_000));
      // In sandbox mode the API hosts the fake Stripe; a CLI that had to start its own holds no
      // payments, and comparing with it would report every charge as missing at the processor.
      const host = app.get(PaymentProcessorHost, { strict: false });
      if (since !== null && host.sandboxServer !== null) {
        throw new Error(
          `sandbox mode: no running API hosts the sandbox Stripe on port ${host.sandboxServer.port}; ` +
            'start the API with the same STRIPE_SANDBOX_PORT, or pass --no-processor to check our tables only',
        );
      }
      report = await books.run({ processorSince: since });
    } finally {
      // As AdminCliServices: let the queues finish connecting before closing, or BullMQ errors late.
      const jobs = app.get(JobQueue, { strict: false });
      await Promise.allSettled(QUEUE_NAMES.map((name) => jobs.queue(name).waitUntilReady()));
      await app.close();
    }
    print(
      options.json,
      report,
      report.findings.map((finding) => ({
        kind: finding.kind,
        subject: finding.subject,
        amount: finding.amount,
        currency: finding.currency,
        ids: finding.ids.join(','),
        explanation: finding.message,
      })),
      ['kind', 'subject', 'amount', 'currency', 'ids', 'explanation'],
    );
    if (!options.json) {
      process.stderr.write(
        report.clean ? 'books check: clean\n' : `books check: ${report.findings.length} finding(s)\n`,
      );
    }
    if (!report.clean) process.exitCode = 1;
  }

  @Option({ flags: '--json', description: 'Print the report as JSON' })
  parseJson(): boolean {
    return true;
  }

  @Option({
    flags: '--since <iso>',
    description: `Compare with the processor's records created since then (default: ${DEFAULT_PROCESSOR_DAYS} days ago)`,
  })
  parseSince(value: string): Date {
    const since = parseInstant(value);
    if (since === null) {
      throw new Error('--since must be an ISO 8601 date or time, e.g. 2026-05-01 or 2026-05-01T00:00:00Z');
    }
    return since;
  }

  @Option({ flags: '--no-processor', description: 'Check our own tables only; do not call the processor' })
  parseNoProcessor(): boolean {
    return false;
  }
}

@Command({ name: 'books', description: 'The books: invariant checks', subCommands: [BooksCheckCommand] })
export class BooksCommand extends CommandRunner {
  run(): Promise<void> {
    this.command.help();
  }
}

export const BOOKS_COMMANDS = [BooksCommand, BooksCheckCommand];
