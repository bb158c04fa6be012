import { Command, CommandRunner, Option, SubCommand } from 'nest-commander';
import { AdminCommand, type JsonOption, type YesOption } from './admin-command';
import { confirm, print } from './cli-support';

@SubCommand({
  name: 'approve',
  arguments: '<payoutId>',
  description: 'Approve a payout (four-eyes above the threshold)',
})
export class PayoutApproveCommand extends AdminCommand {
  async run([payoutId]: string[], options: JsonOption & YesOption): Promise<void> {
    await confirm(`Approve payout ${payoutId}?`, options.yes);
    await this.admin.use(async ({ actAs, payouts }) => {
      // Four eyes: the approver is the verified staff member of the token, never the OS user.
      const context = actAs(options.token, ['finance']);
      const payout = await payouts.approve(payoutId, context.actor, context);
      print(
        options.json,
        payout,
        [{ id: payout.id, status: payout.status, approvals: payout.approvals.length }],
        ['id', 'status', 'approvals'],
      );
    });
  }
}

@SubCommand({
  name: 'reject',
  arguments: '<payoutId>',
  description: 'Reject a payout; its reservation is released',
})
export class PayoutRejectCommand extends AdminCommand {
  async run([payoutId]: string[], options: JsonOption & YesOption & { reason: string }): Promise<void> {
    await confirm(`Reject payout ${payoutId}?`, options.yes);
    await this.admin.use(async ({ actAs, payouts }) => {
      const payout = await payouts.reject(payoutId, options.reason, actAs(options.token, ['finance']));
      print(
        options.json,
        payout,
        [{ id: payout.id, status: payout.status, reason: payout.rejectionReason }],
        ['id', 'status', 'reason'],
      );
    });
  }

  @Option({ flags: '--reason <reason>', description: 'Told to the trader', required: true })
  parseReason(value: string): string {
    return value;
  }
}

@Command({ name: 'payout', description: 'Payouts', subCommands: [PayoutApproveCommand, PayoutRejectCommand] })
export class PayoutCommand extends CommandRunner {
  run(): Promise<void> {
    this.command.help();
  }
}

export const PAYOUT_COMMANDS = [PayoutCommand, PayoutApproveCommand, PayoutRejectCommand];
