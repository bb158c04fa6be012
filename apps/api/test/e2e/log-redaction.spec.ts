import { Body, Controller, Get, Headers, Logger, Module, Post, Query } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Public } from '../../src/platform/auth/access.decorators';
import { captureLogs } from '../support/log-capture';
import { signToken } from '../support/tokens';
import { startTestApp, TestApp } from '../support/test-app';

const { lines, module: LogCaptureModule } = captureLogs();

const VICTIM_EMAIL = 'victim.person@example.com';
const CARD = '4242424242424242';
const API_KEY = 'ak_live_Q2hhbmdlTWVQbGVhc2UxMjM0NTY3';
const WEBHOOK_SIGNATURE = 't=1700000000,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd';
const SESSION_COOKIE = 'astrix_staff_token=session-cookie-value-0123456789';

/** Endpoints that fail or log the way careless code does. */
@Controller('v1/test-logs')
class LeakyController {
  private readonly logger = new Logger('Leaky');

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** A query whose parameter Postgres quotes back in its error message. */
  @Post('bad-cast')
  @Public()
  async badCast(@Body() body: { email: string; card: string }): Promise<void> {
    await this.dataSource.query('SELECT $1::int AS n, $2::text AS card', [body.email, body.card]);
  }

  /** A unique violation, whose driver detail names the duplicated value. */
  @Post('duplicate')
  @Public()
  async duplicate(@Body() body: { email: string }): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      await manager.query('CREATE TEMP TABLE leak_probe (email text PRIMARY KEY) ON COMMIT DROP');
      await manager.query('INSERT INTO leak_probe (email) VALUES ($1)', [body.email]);
      await manager.query('INSERT INTO leak_probe (email) VALUES ($1)', [body.email]);
    });
  }

  /** Logs what it was sent, headers and all. */
  @Get('careless')
  @Public()
  careless(@Headers() headers: Record<string, string>, @Query() query: Record<string, string>): { ok: true } {
    this.logger.log({ headers, query }, 'request received');
    this.logger.warn(`caller ${headers.authorization} paid with ${query.card} for ${query.email}`);
    return { ok: true };
  }
}

@Module({ controllers: [LeakyController] })
class LeakyModule {}

describe('logs never carry secrets, SQL parameters, other people’s emails or card numbers', () => {
  let t: TestApp;
  const token = signToken({ sub: 'user_logged', email: VICTIM_EMAIL });
  const secrets = [
    token,
    token.split('.')[2],
    API_KEY,
    WEBHOOK_SIGNATURE,
    'session-cookie-value-0123456789',
    CARD,
    '4242 4242 4242 4242',
    'victim.person',
  ];
  const headers = {
    authorization: `Bearer ${token}`,
    'x-api-key': API_KEY,
    'stripe-signature': WEBHOOK_SIGNATURE,
    cookie: SESSION_COOKIE,
  };

  beforeAll(async () => {
    t = await startTestApp({ env: { LOG_LEVEL: 'debug' }, imports: [LogCaptureModule, LeakyModule] });
    // Nest hands its buffered log calls to pino once the server listens, as in production.
    await t.app.listen(0, '127.0.0.1');
  });
  afterAll(() => t.close());
  beforeEach(() => {
    lines.length = 0;
  });

  const leaks = (): string[] => lines.filter((line) => secrets.some((secret) => line.includes(secret)));

  it('logs a failing query with its SQL and error code, without its parameters or the quoted value', async () => {
    const response = await t.inject({
      method: 'POST',
      url: '/v1/test-logs/bad-cast',
      headers,
      payload: { email: VICTIM_EMAIL, card: CARD },
    });
    expect(response.statusCode).toBe(500);
    const failure = lines.map((line) => JSON.parse(line)).find((entry) => entry.msg === 'unhandled error');
    expect(failure.err).toMatchObject({
      type: 'QueryFailedError',
      code: '22P02',
      query: 'SELECT $1::int AS n, $2::text AS card',
      message: 'invalid input syntax for type integer: "[value withheld]"',
    });
    expect(failure.err.parameters).toBeUndefined();
    expect(lines.some((line) => line.includes('"msg":"query failed"'))).toBe(true);
    expect(leaks()).toEqual([]);
  });

  it('logs a unique violation by its constraint, without the driver detail naming the value', async () => {
    const response = await t.inject({
      method: 'POST',
      url: '/v1/test-logs/duplicate',
      headers,
      payload: { email: VICTIM_EMAIL },
    });
    expect(response.statusCode).toBe(500);
    const failure = lines.map((line) => JSON.parse(line)).find((entry) => entry.msg === 'unhandled error');
    expect(failure.err).toMatchObject({ code: '23505', constraint: 'leak_probe_pkey' });
    expect(JSON.stringify(failure.err)).not.toContain('Key (email)');
    expect(leaks()).toEqual([]);
  });

  it('redacts the bearer token, API key, signature, cookie, card and email of a request, however logged', async () => {
    const response = await t.inject({
      method: 'GET',
      url: `/v1/test-logs/careless?card=${CARD}&email=${encodeURIComponent(VICTIM_EMAIL)}&note=${encodeURIComponent('4242 4242 4242 4242')}`,
      headers,
    });
    expect(response.statusCode).toBe(200);
    expect(lines.some((line) => line.includes('"msg":"request received"'))).toBe(true);
    expect(lines.some((line) => line.includes('request completed'))).toBe(true);
    expect(lines.join('\n')).toContain('****4242');
    expect(leaks()).toEqual([]);
  });
});
