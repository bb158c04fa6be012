import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createTestDatabase,
  databaseUrl,
  TestDatabase,
  uniqueName,
  withAdminClient,
} from '../support/databases';
import { DIST, runBuilt as node } from '../support/cli';
import { TEST_JWT_SECRET } from '../support/tokens';
import { verify } from 'jsonwebtoken';
import { Client } from 'pg';

// Every step starts a CLI process (about 1.5 s alone, several times that while other suites share
// the two cores), so a test of many steps gets more than the default 30 s.
jest.setTimeout(120_000);

describe('operator CLI and process start (built output)', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    if (!existsSync(join(DIST, 'cli.js')))
      throw new Error('apps/api/dist is missing: the test target builds it first');
    database = await createTestDatabase();
  });
  afterAll(() => database.drop());

  const cli = (args: string[], env: Record<string, string> = {}) =>
    node('cli.js', args, { DATABASE_URL: database.url, AUTH_JWT_SECRET: TEST_JWT_SECRET, ...env });

  it('db migrate creates a missing database and applies every migration', async () => {
    const name = uniqueName('astrix_cli');
    try {
      const result = await cli(['db', 'migrate'], { DATABASE_URL: databaseUrl(name) });
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('created database');
      expect(result.stdout).toMatch(/migrations applied: PlatformFoundation/);
      const again = await cli(['db', 'migrate'], { DATABASE_URL: databaseUrl(name) });
      expect(again.stdout).toContain('migrations: up to date');
    } finally {
      await withAdminClient((client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    }
  });

  it('apikey create prints the raw key alone on the last line; list and revoke work', async () => {
    const created = await cli([
      'apikey',
      'create',
      '--name',
      'trading-platform',
      '--scopes',
      'accounts:write,usage:write',
    ]);
    expect(created.code).toBe(0);
    const lines = created.stdout.trimEnd().split('\n');
    const rawKey = lines[lines.length - 1];
    expect(rawKey).toMatch(/^ak_test_[A-Za-z0-9]{40}$/);
    const id = /(key_[0-9a-z]{26})/.exec(created.stdout)?.[1];
    expect(id).toBeDefined();

    const listed = await cli(['apikey', 'list']);
    expect(listed.stdout).toContain(id);
    expect(listed.stdout).not.toContain(rawKey);

    const unconfirmed = await cli(['apikey', 'revoke', id!]);
    expect(unconfirmed.stderr).toContain('pass --yes');
    const revoked = await cli(['apikey', 'revoke', id!, '--yes']);
    expect(revoked.code).toBe(0);
    expect((await cli(['apikey', 'list'])).stdout).toMatch(new RegExp(`${id}.*revoked`));
    const listed2 = JSON.parse((await cli(['apikey', 'list', '--json'])).stdout) as Array<{
      id: string;
      revokedAt: string | null;
    }>;
    expect(listed2.find((key) => key.id === id)?.revokedAt).not.toBeNull();
    const twice = await cli(['apikey', 'revoke', id!, '--yes']);
    expect(twice.code).not.toBe(0);
    expect(twice.stderr).toMatch(/already revoked/);
  });

  it('apikey create refuses unknown scopes and a missing name', async () => {
    const badScope = await cli(['apikey', 'create', '--name', 'x', '--scopes', 'money:print']);
    expect(badScope.code).not.toBe(0);
    expect(badScope.stderr).toMatch(/unknown scope money:print/);
    const noName = await cli(['apikey', 'create', '--scopes', 'usage:write']);
    expect(noName.code).not.toBe(0);
  });

  it('apikey create takes --expires-at (a future instant with an offset) and refuses other forms', async () => {
    const created = await cli([
      'apikey',
      'create',
      '--name',
      'expiring',
      '--scopes',
      'usage:read',
      '--expires-at',
      '2099-01-01T00:00:00+01:00',
    ]);
    expect(created.code).toBe(0);
    expect(created.stdout).toContain('expiring 2098-12-31T23:00:00.000Z');
    const bad = await cli([
      'apikey',
      'create',
      '--name',
      'x',
      '--scopes',
      'usage:read',
      '--expires-at',
      '2099-W01',
    ]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/--expires-at must be an ISO 8601 date-time with an offset/);
  });

  it('webhooks reencrypt-secrets seals a signing secret stored in clear, once', async () => {
    const plain = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwOb7TpOGzGMQ=';
    const client = new Client({ connectionString: database.url });
    await client.connect();
    try {
      await client.query(
        `INSERT INTO platform.webhook_endpoints (id, url, event_types, status, secret, created_by, created_at, updated_at)
         VALUES ('whe_01clicliclicliclicliclicli', 'https://example.com/hooks', '{platform.api_key.created}', 'enabled', $1, 'admin', now(), now())`,
        [plain],
      );
      const first = await cli(['webhooks', 'reencrypt-secrets']);
      expect(first.code).toBe(0);
      expect(first.stdout).toMatch(/Re-encrypted 1 of 1 webhook endpoint\(s\) with key "dev"/);
      const [row] = (
        await client.query(
          `SELECT secret FROM platform.webhook_endpoints WHERE id = 'whe_01clicliclicliclicliclicli'`,
        )
      ).rows as Array<{ secret: string }>;
      expect(row.secret).toMatch(/^sealed:v1:dev:/);
      expect(row.secret).not.toContain(plain.slice('whsec_'.length));
      const again = await cli(['webhooks', 'reencrypt-secrets', '--json']);
      expect(JSON.parse(again.stdout)).toMatchObject({ endpoints: 1, resealed: 0, undecryptable: [] });
    } finally {
      await client.end();
    }
  });

  it('dev-token prints a token the API accepts, alone', async () => {
    const result = await cli(['dev-token', '--sub', 'user_dev', '--roles', 'support,finance']);
    expect(result.code).toBe(0);
    const token = result.stdout.trim();
    expect(token.split('\n')).toHaveLength(1);
    const claims = verify(token, TEST_JWT_SECRET, { algorithms: ['HS256'] });
    expect(claims).toMatchObject({ sub: 'user_dev', roles: ['support', 'finance'] });
  });

  it('the API refuses to start on bad configuration, naming the variable', async () => {
    const result = await node('main.js', [], { PORT: 'eighty', DATABASE_URL: database.url });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Invalid configuration');
    expect(result.stderr).toContain('PORT');
    const production = await node('main.js', [], { NODE_ENV: 'production', DATABASE_URL: database.url });
    expect(production.code).toBe(1);
    expect(production.stderr).toContain('AUTH_JWT_SECRET or AUTH_JWT_PUBLIC_KEY is required in production');
  });

  it('every entry point keeps its compiled modules in Node’s compile cache, under the temp directory', async () => {
    // Without NODE_COMPILE_CACHE set, only the entry point's own enableCompileCache() writes there.
    for (const entry of ['cli.js', 'main.js', 'worker.js']) {
      const temp = await mkdtemp(join(tmpdir(), 'astrix-compile-cache-'));
      try {
        // A bad configuration ends the process after every module has loaded.
        const result = await node(entry, entry === 'cli.js' ? ['db', 'migrate'] : [], {
          NODE_ENV: 'production',
          DATABASE_URL: database.url,
          TMPDIR: temp,
        });
        expect({ entry, code: result.code }).toEqual({ entry, code: 1 });
        const cached = await readdir(join(temp, 'node-compile-cache'), { recursive: true });
        // The app's and its libraries' modules: thousands; a handful would mean it was enabled late.
        expect({ entry, enough: cached.length > 1_000 }).toEqual({ entry, enough: true });
      } finally {
        await rm(temp, { recursive: true, force: true });
      }
    }
  });
});
