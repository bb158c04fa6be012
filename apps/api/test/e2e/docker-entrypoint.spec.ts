import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DIST } from '../support/cli';
import { databaseUrl, uniqueName, withAdminClient } from '../support/databases';
import { TEST_JWT_SECRET } from '../support/tokens';

const run = promisify(execFile);
const ENTRYPOINT = join(__dirname, '..', '..', '..', '..', 'ops', 'docker', 'entrypoint.sh');

jest.setTimeout(120_000);

/** The image's entry point (ops/docker/entrypoint.sh) run as the container runs it, without Docker. */
describe('the image entry point', () => {
  const name = uniqueName('astrix_entrypoint');
  afterAll(() => withAdminClient((client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)));

  const astrix = async (...args: string[]) => {
    try {
      const { stdout, stderr } = await run('sh', [ENTRYPOINT, ...args], {
        env: {
          PATH: process.env.PATH ?? '',
          ASTRIX_DIST: DIST,
          NODE_ENV: 'test',
          LOG_LEVEL: 'silent',
          DATABASE_URL: databaseUrl(name),
          AUTH_JWT_SECRET: TEST_JWT_SECRET,
        },
        timeout: 60_000,
      });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const failed = error as { code: number; stdout: string; stderr: string };
      return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
    }
  };

  it('migrate creates and migrates the database; cli runs any command; anything else is refused', async () => {
    if (!existsSync(join(DIST, 'cli.js'))) throw new Error('apps/api/dist is missing: build it first');
    const migrated = await astrix('migrate');
    expect(migrated).toMatchObject({ code: 0 });
    expect(migrated.stdout).toContain('created database');
    expect(migrated.stdout).toContain('migrations applied:');
    expect((await astrix('migrate')).stdout).toContain('migrations: up to date');
    const token = await astrix('cli', 'dev-token', '--sub', 'user_entrypoint');
    expect(token.code).toBe(0);
    expect(token.stdout.trim().split('.')).toHaveLength(3);
    const refused = await astrix('serve');
    expect(refused.code).toBe(64);
    expect(refused.stderr).toContain('usage: astrix api | worker | migrate | cli');
  });
});
