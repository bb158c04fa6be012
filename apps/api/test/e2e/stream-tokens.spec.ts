import { AstrixClient, eventStreamUrl } from '@astrix/contracts';
import { Clock } from '../../src/platform/clock';
import { OutboxService } from '../../src/platform/events/outbox.service';
import { captureLogs } from '../support/log-capture';
import { openStream } from '../support/sse';
import { eventually, startTestApp, TestApp } from '../support/test-app';
import { signToken } from '../support/tokens';

const { lines, module: LogCaptureModule } = captureLogs();

/** EventSource cannot send Authorization: a short-lived stream token opens the live stream instead. */
describe('stream tokens for EventSource', () => {
  let t: TestApp;
  let url: string;
  let now = new Date('2026-12-06T10:00:00.000Z');
  const trader = { sub: 'user_sse_token' };

  beforeAll(async () => {
    t = await startTestApp({ workers: true, env: { LOG_LEVEL: 'debug' }, imports: [LogCaptureModule] });
    await t.app.listen(0, '127.0.0.1');
    url = await t.app.getUrl();
    jest.spyOn(t.app.get(Clock), 'now').mockImplementation(() => new Date(now.getTime()));
  });
  afterAll(() => t.close());

  let counter = 0;
  const emit = (userId: string) =>
    t.dataSource.transaction((manager) =>
      t.app.get(OutboxService).append(manager, {
        type: 'billing.payment.failed',
        subject: `chk_sse_${userId}`,
        data: {
          paidFor: 'purchase',
          checkoutSessionId: `chk_sse_${userId}`,
          invoiceId: null,
          subscriptionId: null,
          attempt: null,
          userId,
          customerId: 'cus_sse',
          productId: 'prd_x',
          amount: 100,
          currency: 'USD',
          reason: `attempt ${(counter += 1)}`,
          declineCode: null,
        },
      }),
    );
  const mint = async (who: { sub: string; roles?: string[] } = trader) => {
    const response = await t.inject({ method: 'POST', url: '/v1/billing/stream-tokens', headers: t.as(who) });
    expect(response.statusCode).toBe(201);
    return response.json<{ token: string; expiresAt: string }>();
  };
  const streamWith = (query: string, headers: Record<string, string> = {}) =>
    t.inject({ method: 'GET', url: `/v1/billing/stream?${query}`, headers });

  it('mints a token for the signed-in user that expires a minute later', async () => {
    const minted = await mint();
    expect(minted.token).toMatch(/^sst_[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    expect(minted.expiresAt).toBe('2026-12-06T10:01:00.000Z');
    const anonymous = await t.inject({ method: 'POST', url: '/v1/billing/stream-tokens' });
    expect(anonymous.statusCode).toBe(401);
  });

  it('keeps no copy of a minted token: replaying its Idempotency-Key is 409 SECRET_ALREADY_SHOWN', async () => {
    const headers = { ...t.as(trader), 'idempotency-key': 'stream-token-replay-1' };
    const first = await t.inject({ method: 'POST', url: '/v1/billing/stream-tokens', headers });
    expect(first.statusCode).toBe(201);
    const replay = await t.inject({ method: 'POST', url: '/v1/billing/stream-tokens', headers });
    expect(replay.statusCode).toBe(409);
    expect(replay.json().error.code).toBe('SECRET_ALREADY_SHOWN');
    expect(replay.body).not.toContain(first.json<{ token: string }>().token);
  });

  it('opens the stream without Authorization and carries only that user’s events; resumes after Last-Event-ID', async () => {
    const { token } = await mint();
    const first = await openStream(`${url}/v1/billing/stream?token=${encodeURIComponent(token)}`, {});
    expect(first.response.statusCode).toBe(200);
    expect(first.response.headers['content-type']).toContain('text/event-stream');
    await new Promise((resolve) => setTimeout(resolve, 200));
    const e1 = await emit(trader.sub);
    await emit('user_sse_someone_else');
    const e2 = await emit(trader.sub);
    await eventually(async () => first.events.length >= 2);
    expect(first.events.map((event) => event.id)).toEqual([e1.id, e2.id]);
    first.close();

    // Missed while away; the browser reconnects with Last-Event-ID (same URL, same token).
    const e3 = await emit(trader.sub);
    const e4 = await emit(trader.sub);
    await eventually(async () => {
      const rows = await t.dataSource.query(
        'SELECT 1 FROM platform.event_history WHERE event_id = ANY($1) AND stream_position IS NOT NULL',
        [[e3.id, e4.id]],
      );
      return rows.length === 2;
    });
    const resumed = await openStream(`${url}/v1/billing/stream?token=${encodeURIComponent(token)}`, {
      'last-event-id': e2.id,
    });
    await eventually(async () => resumed.events.length >= 2);
    expect(resumed.events.map((event) => event.id)).toEqual([e3.id, e4.id]);
    resumed.close();

    // A new EventSource (fresh token) cannot send the header: ?lastEventId= does the same.
    const fresh = await mint();
    const reopened = await openStream(
      `${url}/v1/billing/stream?token=${encodeURIComponent(fresh.token)}&lastEventId=${e3.id}`,
      {},
    );
    await eventually(async () => reopened.events.length >= 1);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(reopened.events.map((event) => event.id)).toEqual([e4.id]);
    reopened.close();
  });

  it('works from @astrix/contracts: createStreamToken and eventStreamUrl, as a browser would use them', async () => {
    const client = new AstrixClient({ baseUrl: url, token: signToken(trader) });
    const { token } = await client.createStreamToken();
    const stream = await openStream(eventStreamUrl(url, token), {});
    expect(stream.response.statusCode).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const event = await emit(trader.sub);
    await eventually(async () => stream.events.some((delivered) => delivered.id === event.id));
    stream.close();
  });

  it('is refused everywhere but the stream: as a bearer, as an API key header, or as ?token= elsewhere', async () => {
    const { token } = await mint();
    const asBearer = await t.inject({
      method: 'GET',
      url: '/v1/billing/events',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(asBearer.statusCode).toBe(401);
    expect(asBearer.json().error).toMatchObject({
      code: 'UNAUTHENTICATED',
      message:
        'a stream token is accepted only as ?token= on GET /v1/billing/stream, never as a credential elsewhere',
    });
    const asApiKey = await t.inject({ method: 'GET', url: '/v1/me', headers: { 'x-api-key': token } });
    expect(asApiKey.statusCode).toBe(401);
    // Not even the stream takes it as a bearer: only as ?token=.
    const streamBearer = await streamWith('', { authorization: `Bearer ${token}` });
    expect(streamBearer.statusCode).toBe(401);
    const inQuery = await t.inject({
      method: 'GET',
      url: `/v1/billing/events?token=${encodeURIComponent(token)}`,
    });
    expect(inQuery.statusCode).toBe(401);
    expect(inQuery.json().error.message).toMatch(/missing credentials/);
    // Nor can it mint its successor.
    const chained = await t.inject({
      method: 'POST',
      url: `/v1/billing/stream-tokens?token=${encodeURIComponent(token)}`,
    });
    expect(chained.statusCode).toBe(401);
  });

  it('expires: refused a minute later with the time it expired, on the injected clock', async () => {
    const { token, expiresAt } = await mint();
    const started = now;
    try {
      now = new Date(started.getTime() + 60_000);
      const expired = await streamWith(`token=${encodeURIComponent(token)}`);
      expect(expired.statusCode).toBe(401);
      expect(expired.json().error).toMatchObject({
        code: 'UNAUTHENTICATED',
        message: `stream token expired at ${expiresAt}: mint a new one with POST /v1/billing/stream-tokens`,
      });
    } finally {
      now = started;
    }
  });

  it('refuses a tampered, a malformed and an empty token with a precise 401', async () => {
    const { token } = await mint();
    const [payload, signature] = token.slice(4).split('.');
    const otherUser = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), sub: 'user_victim' }),
    ).toString('base64url');
    const forged = await streamWith(`token=sst_${otherUser}.${signature}`);
    expect(forged.statusCode).toBe(401);
    expect(forged.json().error.message).toBe('stream token signature does not match');

    const malformed = await streamWith('token=sst_not-a-token');
    expect(malformed.statusCode).toBe(401);
    expect(malformed.json().error.message).toMatch(/^stream token is malformed/);
    const empty = await streamWith('token=');
    expect(empty.statusCode).toBe(401);
    expect(empty.json().error.message).toMatch(/^stream token is malformed/);
  });

  it('binds the roles: staff tokens may watch a customer, a trader token may not', async () => {
    const mine = await mint();
    const refused = await streamWith(`token=${encodeURIComponent(mine.token)}&userId=user_sse_someone_else`);
    expect(refused.statusCode).toBe(403);

    const staff = await mint({ sub: 'staff_sse', roles: ['support'] });
    const watching = await openStream(
      `${url}/v1/billing/stream?token=${encodeURIComponent(staff.token)}&userId=${trader.sub}`,
      {},
    );
    expect(watching.response.statusCode).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const event = await emit(trader.sub);
    await eventually(async () => watching.events.some((delivered) => delivered.id === event.id));
    watching.close();
  });

  it('never writes the token to the logs', async () => {
    const { token } = await mint();
    const stream = await openStream(`${url}/v1/billing/stream?token=${encodeURIComponent(token)}`, {});
    expect(stream.response.statusCode).toBe(200);
    stream.close();
    await streamWith(`token=${encodeURIComponent(token)}x`);
    await eventually(async () => lines.some((line) => line.includes('/v1/billing/stream?token=[redacted]')));
    const signature = token.split('.')[1];
    expect(lines.filter((line) => line.includes(signature))).toEqual([]);
  });
});
