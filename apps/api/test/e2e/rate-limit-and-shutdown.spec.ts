import { once } from 'node:events';
import { ProbeModule, slowRequestsStarted } from '../support/probe.module';
import { startTestApp } from '../support/test-app';

describe('rate limiting per caller', () => {
  it('answers 429 in the envelope past the limit, counting each caller separately', async () => {
    const t = await startTestApp({ env: { RATE_LIMIT_PER_MINUTE: '3' } });
    try {
      const call = (sub: string) => t.inject({ method: 'GET', url: '/v1/me', headers: t.as({ sub }) });
      const statuses: number[] = [];
      for (let index = 0; index < 4; index += 1) statuses.push((await call('user_busy')).statusCode);
      expect(statuses).toEqual([200, 200, 200, 429]);
      const limited = await call('user_busy');
      expect(limited.json().error.code).toBe('RATE_LIMITED');
      expect((await call('user_calm')).statusCode).toBe(200);
      // Health checks are never throttled: orchestrators poll them constantly.
      for (let index = 0; index < 5; index += 1) {
        expect((await t.inject({ method: 'GET', url: '/health/live' })).statusCode).toBe(200);
      }
    } finally {
      await t.close();
    }
  });
});

describe('graceful shutdown', () => {
  it('lets an in-flight request finish while the server closes', async () => {
    const t = await startTestApp({ imports: [ProbeModule], workers: true });
    await t.app.listen(0, '127.0.0.1');
    const url = await t.app.getUrl();
    const started = once(slowRequestsStarted, 'started');
    const inFlight = fetch(`${url}/v1/test-probe/slow?ms=300`).then(async (response) => ({
      status: response.status,
      body: (await response.json()) as unknown,
    }));
    // Close only once the request is in its handler: on a loaded machine 50 ms was not enough and
    // the request arrived after closing began (503).
    await started;
    const closing = t.close();
    expect(await inFlight).toEqual({ status: 200, body: { sleptMs: 300 } });
    await closing;
    // Once closed, nothing listens any more.
    await expect(fetch(`${url}/health/live`)).rejects.toThrow();
  });
});
