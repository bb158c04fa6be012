import { captureLogs } from '../support/log-capture';
import { startTestApp, TestApp } from '../support/test-app';

const { lines, module: LogCaptureModule } = captureLogs();

interface AccessLine {
  msg: string;
  req?: { id: string; method: string; url: string };
  res?: { statusCode: number | null };
  responseTime?: number;
}

// Found in the sixth session's review: every access-log line printed "statusCode": null, so logs
// could not tell a 200 from a 500, and the health probes (every few seconds from the orchestrator)
// were logged although autoLogging.ignore names them.
describe('access log: one line per request with its status, health probes left out', () => {
  let t: TestApp;
  let baseUrl: string;
  // Over a real socket, as production serves (not Fastify's inject).
  const get = (url: string, headers: Record<string, string> = {}) => fetch(`${baseUrl}${url}`, { headers });
  const completed = (url: string): AccessLine[] =>
    lines
      .map((line) => JSON.parse(line) as AccessLine)
      .filter((line) => line.msg === 'request completed' && line.req?.url === url);

  beforeAll(async () => {
    t = await startTestApp({ imports: [LogCaptureModule], env: { LOG_LEVEL: 'info' } });
    await t.app.listen(0, '127.0.0.1');
    baseUrl = await t.app.getUrl();
  });
  afterAll(async () => {
    await t.close();
  });

  it('logs the status code a request was answered with', async () => {
    const ok = await get('/v1/me', t.as({ sub: 'user_access_log' }));
    const unauthorized = await get('/v1/me?who=nobody');
    expect([ok.status, unauthorized.status]).toEqual([200, 401]);

    const [okLine] = completed('/v1/me');
    const [unauthorizedLine] = completed('/v1/me?who=nobody');
    expect(okLine?.res?.statusCode).toBe(200);
    expect(unauthorizedLine?.res?.statusCode).toBe(401);
    expect(okLine?.req?.id).toBe(ok.headers.get('x-request-id'));
    expect(typeof okLine?.responseTime).toBe('number');
  });

  it('does not log health probes', async () => {
    for (const url of ['/health/live', '/health/ready']) expect((await get(url)).status).toBe(200);
    // A request after them, so their lines (if any) would have been written by now.
    await get('/v1/me', t.as({ sub: 'user_access_log' }));
    expect(completed('/v1/me').length).toBeGreaterThanOrEqual(2);
    expect([...completed('/health/live'), ...completed('/health/ready')]).toEqual([]);
  });
});
