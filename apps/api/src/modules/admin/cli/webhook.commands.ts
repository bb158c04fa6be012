import { Inject } from '@nestjs/common';
import { Command, CommandRunner, Option, SubCommand } from 'nest-commander';
import { WebhookSecrets, type ReencryptionResult } from '../../notifications';
import type { RequestContext } from '../../../platform/auth/actor';
import { CLI_APP_CONTEXT_FACTORY, type CliAppContextFactory } from '../../../platform/cli/cli-app-context';
import { QUEUE_NAMES } from '../../../platform/queues/job-registry';
import { JobQueue } from '../../../platform/queues/job-queue.service';

/** An operator task like `apikey`: run by whoever holds the deployment's environment, audited as cli:$USER. */
const CLI_CONTEXT: RequestContext = {
  actor: { kind: 'system', name: `cli:${process.env.USER ?? 'unknown'}` },
  requestId: null,
};

/**
 * `webhooks reencrypt-secrets`: seals every outbound webhook signing secret with the first key of
 * WEBHOOK_SECRET_KEYS — plaintext rows from before encryption at rest, and rows sealed with an older
 * key after a rotation. Idempotent; safe while the API runs. See docs/runbooks/secrets.md.
 */
@SubCommand({
  name: 'reencrypt-secrets',
  description:
    'Encrypt every webhook signing secret with the first WEBHOOK_SECRET_KEYS key (after adding one)',
})
export class WebhookReencryptSecretsCommand extends CommandRunner {
  constructor(@Inject(CLI_APP_CONTEXT_FACTORY) private readonly startApp: CliAppContextFactory) {
    super();
  }

  async run(_: string[], options: { json?: boolean }): Promise<void> {
    const app = await this.startApp();
    let result: ReencryptionResult;
    try {
      result = await app.get(WebhookSecrets, { strict: false }).reencryptAll(CLI_CONTEXT);
    } finally {
      // As AdminCliServices: let the queues finish connecting before closing, or BullMQ errors late.
      const jobs = app.get(JobQueue, { strict: false });
      await Promise.allSettled(QUEUE_NAMES.map((name) => jobs.queue(name).waitUntilReady()));
      await app.close();
    }
    process.stdout.write(
      options.json
        ? `${JSON.stringify(result)}\n`
        : `Re-encrypted ${result.resealed} of ${result.endpoints} webhook endpoint(s) with key "${result.currentKeyId}".\n`,
    );
    if (result.undecryptable.length > 0) {
      process.stderr.write(
        `${result.undecryptable.length} endpoint(s) have a secret no listed key opens, left as they were: ` +
          `${result.undecryptable.join(', ')} (docs/runbooks/secrets.md: when a key was dropped too early)\n`,
      );
      process.exitCode = 1;
    }
  }

  @Option({ flags: '--json', description: 'Print the result as JSON' })
  parseJson(): boolean {
    return true;
  }
}

@Command({
  name: 'webhooks',
  description: 'Outbound webhook endpoints: operator tasks',
  subCommands: [WebhookReencryptSecretsCommand],
})
export class WebhooksCommand extends CommandRunner {
  run(): Promise<void> {
    this.command.help();
  }
}

export const WEBHOOK_COMMANDS = [WebhooksCommand, WebhookReencryptSecretsCommand];
