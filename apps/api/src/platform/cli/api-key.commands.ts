import { InjectDataSource } from '@nestjs/typeorm';
import { Command, CommandRunner, Option, SubCommand } from 'nest-commander';
import { DataSource } from 'typeorm';
import { API_KEY_SCOPES, ApiKeyMode, ApiKeyScope, type ApiKeyView } from '@astrix/contracts';
import { ApiKeysService } from '../auth/api-keys.service';
import type { RequestContext } from '../auth/actor';
import { confirm, print } from './cli-io';
import { instantFormsMessage, parseInstant } from '../http/instant';

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
    options: { name: string; scopes: ApiKeyScope[]; mode?: ApiKeyMode; expiresAt?: string },
  ): Promise<void> {
    await this.connect();
    const created = await this.apiKeys.create(options, CLI_CONTEXT);
    process.stdout.write(
      `Created API key ${created.id} "${created.name}" (${created.mode}) with scopes ${created.scopes.join(',')}` +
        `${created.expiresAt ? `, expiring ${created.expiresAt}` : ''}.\n` +
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

  @Option({
    flags: '--expires-at <instant>',
    description: 'When the key stops working, an ISO 8601 instant in the future (default: never)',
  })
  parseExpiresAt(value: string): string {
    const instant = parseInstant(value, { requireTime: true, requireOffset: true });
    if (!instant)
      throw new Error(instantFormsMessage('--expires-at', { requireTime: true, requireOffset: true }));
    return instant.toISOString();
  }
}

@SubCommand({ name: 'list', description: 'List API keys, newest first' })
export class ApiKeyListCommand extends ApiKeyCommandRunner {
  async run(_parameters: string[], options: { json?: boolean }): Promise<void> {
    await this.connect();
    const keys: ApiKeyView[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.apiKeys.list({ limit: 100, cursor });
      keys.push(...page.data);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    print(
      options.json,
      keys,
      keys.map((key) => ({
        id: key.id,
        prefix: `${key.prefix}…`,
        name: key.name,
        scopes: key.scopes.join(','),
        state: key.revokedAt ? `revoked ${key.revokedAt}` : 'active',
      })),
      ['id', 'prefix', 'name', 'scopes', 'state'],
    );
  }

  @Option({ flags: '--json', description: 'Print JSON instead of a table' })
  parseJson(): boolean {
    return true;
  }
}

@SubCommand({ name: 'revoke', arguments: '<id>', description: 'Revoke an API key' })
export class ApiKeyRevokeCommand extends ApiKeyCommandRunner {
  async run([id]: string[], options: { yes?: boolean }): Promise<void> {
    await confirm(`Revoke API key ${id}? Services using it stop working at once`, options.yes);
    await this.connect();
    const revoked = await this.apiKeys.revoke(id, CLI_CONTEXT);
    process.stdout.write(`Revoked ${revoked.id} "${revoked.name}" at ${revoked.revokedAt}\n`);
  }

  @Option({ flags: '-y, --yes', description: 'Do not ask for confirmation' })
  parseYes(): boolean {
    return true;
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
