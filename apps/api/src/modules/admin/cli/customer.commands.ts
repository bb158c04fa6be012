import { Command, CommandRunner, Option, SubCommand } from 'nest-commander';
import { AdminCommand, type JsonOption, type YesOption } from './admin-command';
import { confirm, parsePositiveInteger, print } from './cli-support';
import {
  CUSTOMER_DATA_COMMANDS,
  CustomerEraseCommand,
  CustomerExportCommand,
  CustomerRestoreCommand,
} from './customer-data.commands';

@SubCommand({
  name: 'find',
  arguments: '<query...>',
  description: 'Find customers by id, email, user id, Stripe id, invoice number, or "last4 fingerprint"',
})
export class CustomerFindCommand extends AdminCommand {
  async run(words: string[], options: JsonOption): Promise<void> {
    await this.admin.use(async ({ customers: directory }) => {
      const customers = await directory.search(words.join(' '), 20);
      print(
        options.json,
        customers,
        customers.map((customer) => ({ ...customer })),
        ['id', 'userId', 'email', 'stripeCustomerId', 'fraudStatus', 'matchedBy'],
      );
    });
  }
}

@Command({
  name: 'customer',
  description: 'Customers',
  subCommands: [CustomerFindCommand, CustomerExportCommand, CustomerRestoreCommand, CustomerEraseCommand],
})
export class CustomerCommand extends CommandRunner {
  run(): Promise<void> {
    this.command.help();
  }
}

interface RefundOptions extends JsonOption, YesOption {
  reason: string;
  amount?: number;
}

@Command({
  name: 'refund',
  arguments: '<chargeId>',
  description: 'Refund a charge fully, or --amount minor units of it',
})
export class RefundCommand extends AdminCommand {
  async run([chargeId]: string[], options: RefundOptions): Promise<void> {
    const what = options.amount ? `${options.amount} minor units of` : 'everything left on';
    await confirm(`Refund ${what} charge ${chargeId}?`, options.yes);
    await this.admin.use(async ({ actAs, refunds }) => {
      const refund = await refunds.refundCharge(
        chargeId,
        options.amount,
        options.reason,
        actAs(options.token, ['support', 'finance']),
      );
      print(
        options.json,
        refund,
        [
          {
            id: refund.id,
            charge: refund.chargeId,
            amount: `${refund.amount.currency}:${refund.amount.amount}`,
            status: refund.status,
          },
        ],
        ['id', 'charge', 'amount', 'status'],
      );
    });
  }

  @Option({
    flags: '--reason <reason>',
    description: 'Why (kept on the refund and the credit note)',
    required: true,
  })
  parseReason(value: string): string {
    return value;
  }

  @Option({
    flags: '--amount <minorUnits>',
    description: 'Part of the charge, in minor units (default: all left)',
  })
  parseAmount(value: string): number {
    return parsePositiveInteger(value, '--amount');
  }
}

export const CUSTOMER_COMMANDS = [
  CustomerCommand,
  CustomerFindCommand,
  RefundCommand,
  ...CUSTOMER_DATA_COMMANDS,
];
