import { Inject } from '@nestjs/common';
import { CommandRunner, Option } from 'nest-commander';
import { AdminCliServices } from './cli-support';

export interface JsonOption {
  json?: boolean;
}
export interface YesOption {
  yes?: boolean;
}

/** Shared `--json` and `--yes` flags. */
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
}
