import { Command, CommandRunner, Option, SubCommand } from 'nest-commander';
import { AdminCommand, type JsonOption } from './admin-command';
import { parsePositiveInteger, print } from './cli-support';
import { parseInstant } from '../../../platform/http/instant';

interface AuditQueryOptions extends JsonOption {
  actor?: string;
  resourceType?: string;
  resourceId?: string;
  action?: string;
  from?: Date;
  to?: Date;
  limit?: number;
}

@SubCommand({ name: 'query', description: 'The audit log, newest first' })
export class AuditQueryCommand extends AdminCommand {
  async run(_parameters: string[], options: AuditQueryOptions): Promise<void> {
    await this.admin.use(async ({ auditLog }) => {
      const page = await auditLog.list({
        actor: options.actor,
        resourceType: options.resourceType,
        resourceId: options.resourceId,
        action: options.action,
        from: options.from,
        to: options.to,
        limit: options.limit ?? 50,
      });
      print(
        options.json,
        page.data,
        page.data.map((entry) => ({
          at: entry.occurredAt,
          actor: `${entry.actorType}:${entry.actorId}`,
          action: entry.action,
          resource: `${entry.resourceType}:${entry.resourceId}`,
        })),
        ['at', 'actor', 'action', 'resource'],
      );
    });
  }

  @Option({ flags: '--actor <id>', description: 'user id, API key id, cli:<user>, stripe, …' })
  parseActor(value: string): string {
    return value;
  }

  @Option({ flags: '--resource-type <type>', description: 'e.g. charge, refund, payout' })
  parseResourceType(value: string): string {
    return value;
  }

  @Option({ flags: '--resource-id <id>', description: 'The id of the resource' })
  parseResourceId(value: string): string {
    return value;
  }

  @Option({ flags: '--action <action>', description: 'e.g. refund.requested' })
  parseAction(value: string): string {
    return value;
  }

  @Option({ flags: '--from <iso8601>', description: 'Inclusive' })
  parseFrom(value: string): Date {
    return parseDate(value, '--from');
  }

  @Option({ flags: '--to <iso8601>', description: 'Exclusive' })
  parseTo(value: string): Date {
    return parseDate(value, '--to');
  }

  @Option({ flags: '--limit <n>', description: '1 to 100 (default 50)' })
  parseLimit(value: string): number {
    const limit = parsePositiveInteger(value, '--limit');
    if (limit > 100) throw new Error('--limit must be at most 100');
    return limit;
  }
}

function parseDate(value: string, flag: string): Date {
  const date = parseInstant(value);
  if (date === null) throw new Error(`${flag} must be an ISO 8601 date or date-time`);
  return date;
}

@Command({ name: 'audit', description: 'The audit log', subCommands: [AuditQueryCommand] })
export class AuditCommand extends CommandRunner {
  run(): Promise<void> {
    this.command.help();
  }
}

export const AUDIT_COMMANDS = [AuditCommand, AuditQueryCommand];
