import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebhookSecrets } from '../../src/modules/notifications';
import { Clock } from '../../src/platform/clock';
import { eventually, startTestApp, TestApp } from '../support/test-app';

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A local sibling service: records every request, answers with the status set for it. */
async function startReceiver(): Promise<{
  url: string;
  received: Received[];
  status: { code: number };
  server: Server;
}> {
  const received: Received[] = [];
  const status = { code: 200 };
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
      response.writeHead(status.code, { 'content-type': 'text/plain' }).end(`answer ${status.code}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    received,
    status,
    server,
  };
}

/**
 * The Standard Webhooks reference verification, written here independently of the app: the key is
 * the base64 part of `whsec_…`, the signed content `${id}.${timestamp}.${body}`, and the header a
 * space-separated list of `v1,<base64 signature>`; any one matching is enough.
 */
function verifyStandardWebhook(secret: string, headers: IncomingHttpHeaders, body: string): boolean {
  const id = String(headers['webhook-id']);
  const timestamp = String(headers['webhook-timestamp']);
  const key = Buffer.from(secret.split('_')[1], 'base64');
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest();
  return String(headers['webhook-signature'])
    .split(' ')
    .some((entry) => {
      const [version, signature] = entry.split(',');
      const given = Buffer.from(signature ?? '', 'base64');
      return version === 'v1' && given.length === expected.length && timingSafeEqual(given, expected);
    });
}

const ADMIN = { sub: 'user_admin', roles: ['admin'] };

describe('outbound webhooks', () => {
  let t: TestApp;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let now: Date;

  beforeAll(async () => {
    receiver = await startReceiver();
    t = await startTestApp({ workers: true, env: { OUTBOUND_WEBHOOKS_DISABLE_AFTER_HOURS: '36' } });
    now = new Date('2026-11-21T10:00:00.000Z');
    jest.spyOn(t.app.get(Clock), 'now').mockImplementation(() => new Date(now));
  });
  afterAll(async () => {
    await t.close();
    await new Promise((resolve) => receiver.server.close(resolve));
  });

  const createEndpoint = async (eventTypes: string[]) => {
    const response = await t.inject({
      method: 'POST',
      url: '/v1/admin/webhook-endpoints',
      headers: t.as(ADMIN),
      payload: { url: receiver.url, eventTypes, description: 'notifications' },
    });
    expect(response.statusCode).toBe(201);
    return response.json() as { id: string; secret: string };
  };
  const createApiKey = async (name: string) => {
    const response = await t.inject({
      method: 'POST',
      url: '/v1/admin/api-keys',
      headers: t.as(ADMIN),
      payload: { name, scopes: ['usage:read'] },
    });
    expect(response.statusCode).toBe(201);
    return response.json() as { id: string };
  };
  const deliveriesOf = async (endpointId: string) =>
    (
      await t.inject({
        method: 'GET',
        url: `/v1/admin/webhook-endpoints/${endpointId}/deliveries`,
        headers: t.as(ADMIN),
      })
    ).json().data as Array<{
      id: string;
      status: string;
      attempts: number;
      nextAttemptAt: string | null;
      attemptLog: Array<{ statusCode: number | null; durationMs: number; response: string | null }>;
    }>;

  it('shows the secret once, audits, and delivers signed events verifiable by the reference algorithm', async () => {
    const endpoint = await createEndpoint(['platform.api_key.created', 'platform.api_key.revoked']);
    expect(endpoint.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const listed = await t.inject({
      method: 'GET',
      url: '/v1/admin/webhook-endpoints',
      headers: t.as(ADMIN),
    });
    expect(JSON.stringify(listed.json())).not.toContain(endpoint.secret);
    const audit = await t.dataSource.query(`SELECT action FROM platform.audit_log WHERE resource_id = $1`, [
      endpoint.id,
    ]);
    expect(audit).toEqual([{ action: 'webhook_endpoint.created' }]);

    const key = await createApiKey('svc-one');
    await t.inject({ method: 'POST', url: `/v1/admin/api-keys/${key.id}/revoke`, headers: t.as(ADMIN) });
    const deliveries = await eventually(async () => receiver.received.length >= 2 && receiver.received);
    const bodies = deliveries.map(
      (delivery) =>
        JSON.parse(delivery.body) as { id: string; type: string; subject: string; sequence: number },
    );
    expect(bodies.map((body) => [body.type, body.subject, body.sequence]).sort()).toEqual([
      ['platform.api_key.created', key.id, 1],
      ['platform.api_key.revoked', key.id, 2],
    ]);
    for (const delivery of deliveries) {
      expect(verifyStandardWebhook(endpoint.secret, delivery.headers, delivery.body)).toBe(true);
      expect(delivery.headers['webhook-id']).toBe(JSON.parse(delivery.body).id);
      expect(delivery.headers['webhook-timestamp']).toBe(String(Math.floor(now.getTime() / 1000)));
      expect(verifyStandardWebhook(endpoint.secret, delivery.headers, `${delivery.body} `)).toBe(false);
    }
    await eventually(async () =>
      (await deliveriesOf(endpoint.id)).every((delivery) => delivery.status === 'succeeded'),
    );
    await t.inject({
      method: 'POST',
      url: `/v1/admin/webhook-endpoints/${endpoint.id}/disable`,
      headers: t.as(ADMIN),
    });
  });

  it('rotates the secret: both sign during the grace period, only the new one after', async () => {
    const endpoint = await createEndpoint(['platform.api_key.created']);
    const rotated = await t.inject({
      method: 'POST',
      url: `/v1/admin/webhook-endpoints/${endpoint.id}/rotate-secret`,
      headers: t.as(ADMIN),
      payload: { graceHours: 1 },
    });
    expect(rotated.statusCode).toBe(200);
    const newSecret = rotated.json().secret as string;
    expect(newSecret).not.toBe(endpoint.secret);
    receiver.received.length = 0;
    await createApiKey('during-grace');
    const [during] = await eventually(async () => receiver.received.length >= 1 && receiver.received);
    expect(String(during.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(verifyStandardWebhook(endpoint.secret, during.headers, during.body)).toBe(true);
    expect(verifyStandardWebhook(newSecret, during.headers, during.body)).toBe(true);

    now = new Date(now.getTime() + 2 * 3_600_000);
    receiver.received.length = 0;
    await createApiKey('after-grace');
    const [after] = await eventually(async () => receiver.received.length >= 1 && receiver.received);
    expect(verifyStandardWebhook(newSecret, after.headers, after.body)).toBe(true);
    expect(verifyStandardWebhook(endpoint.secret, after.headers, after.body)).toBe(false);
    await t.inject({
      method: 'POST',
      url: `/v1/admin/webhook-endpoints/${endpoint.id}/disable`,
      headers: t.as(ADMIN),
    });
  });

  it('keeps the secret encrypted at rest; a row stored in clear before that still signs until re-encrypted', async () => {
    const endpoint = await createEndpoint(['platform.api_key.created']);
    const stored = async () =>
      (
        (await t.dataSource.query(`SELECT secret FROM platform.webhook_endpoints WHERE id = $1`, [
          endpoint.id,
        ])) as Array<{ secret: string }>
      )[0].secret;
    const sealed = await stored();
    expect(sealed).toMatch(/^sealed:v1:dev:/);
    expect(sealed).not.toContain(endpoint.secret.slice('whsec_'.length));

    // As a row written before encryption at rest: the plain secret in the column.
    await t.dataSource.query(`UPDATE platform.webhook_endpoints SET secret = $2 WHERE id = $1`, [
      endpoint.id,
      endpoint.secret,
    ]);
    receiver.received.length = 0;
    await createApiKey('plaintext-row');
    const [before] = await eventually(async () => receiver.received.length >= 1 && receiver.received);
    expect(verifyStandardWebhook(endpoint.secret, before.headers, before.body)).toBe(true);

    const result = await t.app.get(WebhookSecrets).reencryptAll({
      actor: { kind: 'system', name: 'test' },
      requestId: null,
    });
    expect(result).toMatchObject({ currentKeyId: 'dev', resealed: 1 });
    const resealed = await stored();
    expect(resealed).toMatch(/^sealed:v1:dev:/);
    expect(resealed).not.toContain(endpoint.secret.slice('whsec_'.length));
    const audit = await t.dataSource.query(
      `SELECT action FROM platform.audit_log WHERE resource_id = $1 AND action = 'webhook_endpoint.secret_reencrypted'`,
      [endpoint.id],
    );
    expect(audit).toHaveLength(1);
    // Nothing left to do on a second run.
    expect(
      (
        await t.app
          .get(WebhookSecrets)
          .reencryptAll({ actor: { kind: 'system', name: 'test' }, requestId: null })
      ).resealed,
    ).toBe(0);

    receiver.received.length = 0;
    await createApiKey('after-reencryption');
    const [after] = await eventually(async () => receiver.received.length >= 1 && receiver.received);
    expect(verifyStandardWebhook(endpoint.secret, after.headers, after.body)).toBe(true);
    await t.inject({
      method: 'POST',
      url: `/v1/admin/webhook-endpoints/${endpoint.id}/disable`,
      headers: t.as(ADMIN),
    });
  });

  it('sends nothing unsigned when a secret cannot be decrypted (its key dropped): the attempt says why', async () => {
    const endpoint = await createEndpoint(['platform.api_key.created']);
    await t.dataSource.query(`UPDATE platform.webhook_endpoints SET secret = $2 WHERE id = $1`, [
      endpoint.id,
      'sealed:v1:dropped:AAAAAAAAAAAAAAAA:AAAAAAAAAAAAAAAAAAAAAA:AAAA',
    ]);
    receiver.received.length = 0;
    await createApiKey('undecryptable');
    const [delivery] = await eventually(async () => {
      const rows = await deliveriesOf(endpoint.id);
      return rows[0]?.attempts === 1 && rows;
    });
    expect(delivery.status).toBe('pending');
    expect(delivery.attemptLog[0]).toMatchObject({
      statusCode: null,
      error: expect.stringMatching(/signing secret cannot be decrypted: .*"dropped".*no longer lists/),
    });
    expect(receiver.received).toHaveLength(0);
    // Re-encryption leaves it alone and names it; a rotation keeping it for a grace period is refused.
    const reencrypted = await t.app
      .get(WebhookSecrets)
      .reencryptAll({ actor: { kind: 'system', name: 'test' }, requestId: null });
    expect(reencrypted.undecryptable).toEqual([endpoint.id]);
    const rotate = (graceHours: number) =>
      t.inject({
        method: 'POST',
        url: `/v1/admin/webhook-endpoints/${endpoint.id}/rotate-secret`,
        headers: t.as(ADMIN),
        payload: { graceHours },
      });
    const refused = await rotate(24);
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error.message).toMatch(/cannot be decrypted.*rotate with graceHours 0/);
    expect((await rotate(0)).statusCode).toBe(200);
    await t.inject({
      method: 'POST',
      url: `/v1/admin/webhook-endpoints/${endpoint.id}/disable`,
      headers: t.as(ADMIN),
    });
  });

  it('retries on the schedule of the clock, then fails, and disables an endpoint failing for too long', async () => {
    const endpoint = await createEndpoint(['platform.api_key.created']);
    receiver.status.code = 500;
    receiver.received.length = 0;
    await createApiKey('always-failing');
    const waits = [60_000, 300_000, 1_800_000, 7_200_000, 43_200_000, 86_400_000];
    for (let attempt = 1; attempt <= 7; attempt += 1) {
      await eventually(async () => receiver.received.length >= attempt);
      const [delivery] = await eventually(async () => {
        const rows = await deliveriesOf(endpoint.id);
        return rows[0]?.attempts === attempt && rows;
      });
      if (attempt < 7) {
        expect(delivery.status).toBe('pending');
        expect(new Date(delivery.nextAttemptAt!).getTime() - now.getTime()).toBe(waits[attempt - 1]);
        // Not due yet: nothing is sent however long we wait in real time.
        now = new Date(now.getTime() + waits[attempt - 1] - 1000);
        await new Promise((resolve) => setTimeout(resolve, 300));
        expect(receiver.received).toHaveLength(attempt);
        now = new Date(now.getTime() + 1000);
      } else {
        expect(delivery.status).toBe('failed');
        expect(delivery.nextAttemptAt).toBeNull();
        expect(delivery.attemptLog).toHaveLength(7);
        expect(
          delivery.attemptLog.every((entry) => entry.statusCode === 500 && entry.response === 'answer 500'),
        ).toBe(true);
      }
    }
    // ~38.6 h of failures > 36 h: the endpoint is disabled and staff told by an event.
    const view = (
      await t.inject({
        method: 'GET',
        url: `/v1/admin/webhook-endpoints/${endpoint.id}`,
        headers: t.as(ADMIN),
      })
    ).json();
    expect(view).toMatchObject({ status: 'disabled', disabledReason: 'failing' });
    const [event] = await t.dataSource.query(
      `SELECT envelope FROM platform.outbox_events WHERE type = 'platform.webhook_endpoint.disabled' AND subject = $1`,
      [endpoint.id],
    );
    expect(event.envelope.data).toMatchObject({ endpointId: endpoint.id, reason: 'failing' });

    // Staff fix the receiver, enable the endpoint and retry the failed delivery by hand.
    receiver.status.code = 200;
    await t.inject({
      method: 'POST',
      url: `/v1/admin/webhook-endpoints/${endpoint.id}/enable`,
      headers: t.as(ADMIN),
    });
    const [failed] = await deliveriesOf(endpoint.id);
    const retried = await t.inject({
      method: 'POST',
      url: `/v1/admin/webhook-endpoints/${endpoint.id}/deliveries/${failed.id}/retry`,
      headers: t.as(ADMIN),
    });
    expect(retried.statusCode).toBe(202);
    await eventually(async () => (await deliveriesOf(endpoint.id))[0].status === 'succeeded');

    // Replay of a range sends the event once more.
    const before = receiver.received.length;
    const replay = await t.inject({
      method: 'POST',
      url: `/v1/admin/webhook-endpoints/${endpoint.id}/replay?from=2026-11-01T00:00:00Z&to=2026-12-01T00:00:00Z`,
      headers: t.as(ADMIN),
    });
    expect(replay.statusCode).toBe(202);
    expect(replay.json().scheduled).toBeGreaterThanOrEqual(1);
    await eventually(async () => receiver.received.length > before);
  });
});

describe('outbound webhooks outside development (SSRF)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({
      env: { OUTBOUND_WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'false', OUTBOUND_WEBHOOKS_ALLOW_HTTP: 'false' },
    });
  });
  afterAll(() => t.close());

  it.each([
    ['http://hooks.example.com/x', 'url must use https'],
    ['https://127.0.0.1/x', 'private, loopback or link-local'],
    ['https://localhost:8443/x', 'private, loopback or link-local'],
    ['https://10.1.2.3/x', 'private, loopback or link-local'],
    ['https://192.168.0.10/x', 'private, loopback or link-local'],
    ['https://169.254.169.254/latest/meta-data', 'private, loopback or link-local'],
    ['https://[::1]/x', 'private, loopback or link-local'],
    ['https://[::ffff:127.0.0.1]/x', 'private, loopback or link-local'],
    ['https://user:pw@93.184.215.14/x', 'credentials'],
  ])('refuses %s', async (url, reason) => {
    const response = await t.inject({
      method: 'POST',
      url: '/v1/admin/webhook-endpoints',
      headers: t.as(ADMIN),
      payload: { url, eventTypes: ['billing.payment.completed'] },
    });
    expect(response.statusCode).toBe(422);
    expect(response.json().error.message).toContain(reason);
  });

  it('accepts a public https address', async () => {
    const response = await t.inject({
      method: 'POST',
      url: '/v1/admin/webhook-endpoints',
      headers: t.as(ADMIN),
      payload: { url: 'https://93.184.215.14/hooks', eventTypes: ['billing.payment.completed'] },
    });
    expect(response.statusCode).toBe(201);
  });
});
