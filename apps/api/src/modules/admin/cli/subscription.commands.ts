import { Command, CommandRunner, Option, SubCommand } from 'nest-commander';
import type { BillingRunView, DunningView, InvoiceView } from '@astrix/contracts';
import { AdminCommand, type JsonOption, type YesOption } from './admin-command';
import { confirm, print } from './cli-support';
import { parseInstant } from '../../../platform/http/instant';

const invoiceRow = (invoice: InvoiceView) => ({
  id: invoice.id,
  number: invoice.number,
  status: invoice.status,
  total: `${invoice.currency}:${invoice.total}`,
  paid: invoice.amountPaid,
});

const dunningRow = (dunning: DunningView) => ({
  invoice: dunning.invoiceId,
  subscription: dunning.subscriptionId,
  status: dunning.status,
  failed: dunning.failedAttempts,
  next: dunning.nextAttemptAt,
  lastFailure: dunning.lastFailure?.code ?? null,
});

const runRow = (run: BillingRunView) => ({
  id: run.id,
  status: run.status,
  asOf: run.asOf,
  invoices: run.progress.invoicesCreated,
  closed: run.progress.periodsClosed,
  failed: run.progress.failed,
  remaining: run.progress.remaining,
});

interface ReasonOption extends JsonOption, YesOption {
  reason: string;
}

// ---- invoice ----

@SubCommand({
  name: 'void',
  arguments: '<invoiceId>',
  description: 'Void an unpaid invoice (spent credit returns)',
})
export class InvoiceVoidCommand extends AdminCommand {
  async run([invoiceId]: string[], options: ReasonOption): Promise<void> {
    await confirm(`Void invoice ${invoiceId}?`, options.yes);
    await this.admin.use(async ({ actAs, invoiceCorrections }) => {
      const invoice = await invoiceCorrections.voidInvoice(
        invoiceId,
        options.reason,
        actAs(options.token, ['finance']),
      );
      print(options.json, invoice, [invoiceRow(invoice)], ['id', 'number', 'status', 'total', 'paid']);
    });
  }

  @Option({ flags: '--reason <reason>', description: 'Why (kept in the audit log)', required: true })
  parseReason(value: string): string {
    return value;
  }
}

@SubCommand({
  name: 'regenerate',
  arguments: '<invoiceId>',
  description: 'Issue a replacement for a voided subscription invoice and collect it',
})
export class InvoiceRegenerateCommand extends AdminCommand {
  async run([invoiceId]: string[], options: ReasonOption): Promise<void> {
    await confirm(`Issue a replacement for voided invoice ${invoiceId} and charge it?`, options.yes);
    await this.admin.use(async ({ actAs, invoiceCorrections }) => {
      const invoice = await invoiceCorrections.regenerate(
        invoiceId,
        options.reason,
        actAs(options.token, ['finance']),
      );
      print(options.json, invoice, [invoiceRow(invoice)], ['id', 'number', 'status', 'total', 'paid']);
    });
  }

  @Option({ flags: '--reason <reason>', description: 'Why (kept in the audit log)', required: true })
  parseReason(value: string): string {
    return value;
  }
}

@Command({
  name: 'invoice',
  description: 'Invoices',
  subCommands: [InvoiceVoidCommand, InvoiceRegenerateCommand],
})
export class InvoiceCommand extends CommandRunner {
  run(): Promise<void> {
    this.command.help();
  }
}

// ---- dunning ----

@SubCommand({
  name: 'status',
  arguments: '[invoiceId]',
  description: "An invoice's dunning, or every case still collecting",
})
export class DunningStatusCommand extends AdminCommand {
  async run([invoiceId]: string[], options: JsonOption): Promise<void> {
    await this.admin.use(async ({ dunning }) => {
      const cases = invoiceId
        ? [await dunning.get(invoiceId)]
        : (await dunning.list({}, { limit: 100 })).data;
      print(options.json, invoiceId ? cases[0] : cases, cases.map(dunningRow), [
        'invoice',
        'subscription',
        'status',
        'failed',
        'next',
        'lastFailure',
      ]);
    });
  }
}

@SubCommand({
  name: 'retry-now',
  arguments: '<invoiceId>',
  description: 'Try to collect an open invoice now',
})
export class DunningRetryNowCommand extends AdminCommand {
  async run([invoiceId]: string[], options: JsonOption & YesOption): Promise<void> {
    await confirm(`Charge the customer's default card for invoice ${invoiceId} now?`, options.yes);
    await this.admin.use(async ({ actAs, dunning }) => {
      const result = await dunning.retryNow(invoiceId, actAs(options.token, ['support', 'finance']));
      print(
        options.json,
        result,
        [{ outcome: result.outcome, ...invoiceRow(result.invoice) }],
        ['outcome', 'id', 'number', 'status', 'total'],
      );
    });
  }
}

@Command({
  name: 'dunning',
  description: 'Dunning',
  subCommands: [DunningStatusCommand, DunningRetryNowCommand],
})
export class DunningCommand extends CommandRunner {
  run(): Promise<void> {
    this.command.help();
  }
}

// ---- billing runs ----

interface StartRunOptions extends JsonOption, YesOption {
  asOf?: Date;
}

@SubCommand({
  name: 'start',
  description: 'Invoice every subscription period that ended (by --as-of), here and now',
})
export class BillingRunStartCommand extends AdminCommand {
  async run(_parameters: string[], options: StartRunOptions): Promise<void> {
    await confirm(
      `Run billing for periods ending by ${(options.asOf ?? new Date()).toISOString()}?`,
      options.yes,
    );
    await this.admin.use(async ({ actAs, billingRuns, clock }) => {
      // Run to the end in this process instead of handing the run to the workers.
      const created = await billingRuns.create(
        'manual',
        actAs(options.token, ['finance']),
        options.asOf ?? clock.now(),
      );
      const run = await billingRuns.execute(created.id);
      print(
        options.json,
        run,
        [runRow(run)],
        ['id', 'status', 'asOf', 'invoices', 'closed', 'failed', 'remaining'],
      );
    });
  }

  @Option({ flags: '--as-of <instant>', description: 'ISO 8601 instant; default now' })
  parseAsOf(value: string): Date {
    const asOf = parseInstant(value, { requireTime: true });
    if (asOf === null) {
      throw new Error('--as-of must be an ISO 8601 instant, e.g. 2026-12-01T00:00:00Z');
    }
    return asOf;
  }
}

@SubCommand({ name: 'status', arguments: '[runId]', description: 'One billing run, or the latest ones' })
export class BillingRunStatusCommand extends AdminCommand {
  async run([runId]: string[], options: JsonOption): Promise<void> {
    await this.admin.use(async ({ billingRuns }) => {
      const runs = runId ? [await billingRuns.get(runId)] : (await billingRuns.list({ limit: 20 })).data;
      print(options.json, runId ? runs[0] : runs, runs.map(runRow), [
        'id',
        'status',
        'asOf',
        'invoices',
        'closed',
        'failed',
        'remaining',
      ]);
    });
  }
}

@Command({
  name: 'billing-run',
  description: 'Billing runs',
  subCommands: [BillingRunStartCommand, BillingRunStatusCommand],
})
export class BillingRunCommand extends CommandRunner {
  run(): Promise<void> {
    this.command.help();
  }
}

export const SUBSCRIPTION_COMMANDS = [
  InvoiceCommand,
  InvoiceVoidCommand,
  InvoiceRegenerateCommand,
  DunningCommand,
  DunningStatusCommand,
  DunningRetryNowCommand,
  BillingRunCommand,
  BillingRunStartCommand,
  BillingRunStatusCommand,
];
