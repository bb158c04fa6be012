import { Inject } from '@nestjs/common';
import { CommandRunner, Option } from 'nest-commander';
import { AdminCliServices } from './cli-support';

export interface JsonOption {
  json?: boolean;
  /** Every admin command takes `--token` (see StaffOption). */
  token?: string;
}
export interface YesOption {
  yes?: boolean;
}
export interface StaffOption {
  token?: string;
}

/** Shared `--json`, `--yes` and `--token` flags. */
export abstract class AdminCommand extends CommandRunner {
  // An explicit token: the abstract class has no decorator of its own to emit parameter types.
  constructor(@Inject(AdminCliServices) protected readonly admin: AdminCliServices) {
    super();
  }

  @Option({ flags: '--json', description: 'Print JSON instead of a table' })
  parseJson(): boolean {
    return true;
  }

  @Option({ flags: '-y, --yes', description: 'Do not ask for confirmation' })
  parseYes(): boolean {
    return true;
  }

  @Option({
    flags: '--token <jwt>',
    description: 'Your staff JWT (identity service); default $ASTRIX_STAFF_TOKEN. Changes act as you',
  })
  parseToken(value: string): string {
    return value;
  }
}
