import { InjectDataSource } from '@nestjs/typeorm';
import { Command, CommandRunner, Option, SubCommand } from 'nest-commander';
import { DataSource } from 'typeorm';
import { API_KEY_SCOPES, ApiKeyMode, ApiKeyScope } from '@astrix/contracts';
import { ApiKeysService } from '../auth/api-keys.service';
import type { RequestContext } from '../auth/actor';

const CLI_CONTEXT: RequestContext = {
  actor: { kind: 'system', name: `cli:${process.env.USER ?? 'unknown'}` },
  requestId: null,
};

abstract class ApiKeyCommandRunner extends CommandRunner {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    protected readonly apiKeys: ApiKeysService,
  ) {
    super();
  }

  protected async connect(): Promise<void> {
    if (!this.dataSource.isInitialized) await this.dataSource.initialize();
  }
}

@SubCommand({
  name: 'create',
  description: 'Issue an API key; prints the raw key once, alone on the last line',
})
export class ApiKeyCreateCommand extends ApiKeyCommandRunner {
  async run(
    _parameters: string[],
    options: { name: string; scopes: ApiKeyScope[]; mode?: ApiKeyMode },
  ): Promise<void> {
    await this.connect();
    const created = await this.apiKeys.create(options, CLI_CONTEXT);
    process.stdout.write(
      `Created API key ${created.id} "${created.name}" (${created.mode}) with scopes ${created.scopes.join(',')}.\n` +
        'Store it now: it is not shown again.\n' +
        `${created.key}\n`,
    );
  }

  @Option({ flags: '--name <name>', description: 'Service holding the key', required: true })
  parseName(value: string): string {
    if (!/^[\w .:-]{1,100}$/.test(value))
      throw new Error('--name may contain letters, digits, spaces and . _ : -');
    return value;
  }

  @Option({
    flags: '--scopes <scopes>',
    description: `Comma-separated: ${API_KEY_SCOPES.join(', ')}`,
    required: true,
  })
  parseScopes(value: string): ApiKeyScope[] {
    const scopes = value
      .split(',')
      .map((scope) => scope.trim())
      .filter(Boolean);
    const unknown = scopes.filter((scope) => !(API_KEY_SCOPES as readonly string[]).includes(scope));
    if (scopes.length === 0 || unknown.length > 0) {
      throw new Error(
        `--scopes: unknown scope ${unknown.join(', ') || '(none given)'}; known: ${API_KEY_SCOPES.join(', ')}`,
      );
    }
    return scopes as ApiKeyScope[];
  }

  @Option({ flags: '--mode <mode>', description: 'live or test (default test)' })
  parseMode(value: string): ApiKeyMode {
    if (value !== 'live' && value !== 'test') throw new Error('--mode must be live or test');
    return value;
  }
}

@SubCommand({ name: 'list', description: 'List API keys, newest first' })
export class ApiKeyListCommand extends ApiKeyCommandRunner {
  async run(): Promise<void> {
    await this.connect();
    let cursor: string | undefined;
    do {
      const page = await this.apiKeys.list({ limit: 100, cursor });
      for (const key of page.data) {
        const state = key.revokedAt ? `revoked ${key.revokedAt}` : 'active';
        process.stdout.write(`${key.id}\t${key.prefix}…\t${key.name}\t${key.scopes.join(',')}\t${state}\n`);
      }
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
  }
}

@SubCommand({ name: 'revoke', arguments: '<id>', description: 'Revoke an API key' })
export class ApiKeyRevokeCommand extends ApiKeyCommandRunner {
  async run([id]: string[]): Promise<void> {
    await this.connect();
    const revoked = await this.apiKeys.revoke(id, CLI_CONTEXT);
    process.stdout.write(`Revoked ${revoked.id} "${revoked.name}" at ${revoked.revokedAt}\n`);
  }
}

@Command({
  name: 'apikey',
  description: "Manage sibling services' API keys",
  subCommands: [ApiKeyCreateCommand, ApiKeyListCommand, ApiKeyRevokeCommand],
})
export class ApiKeyCommand extends CommandRunner {
  run(): Promise<void> {
    this.command.help();
  }
}
