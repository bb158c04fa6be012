import { request as httpRequest } from 'node:http';
import { CatalogService } from '../../src/modules/billing/catalog/catalog.service';
import { EntitlementCheckRoute } from '../../src/modules/billing/metering/entitlement-check.route';
import { AppConfig } from '../../src/platform/config/app-config';
import { MetricsRegistry } from '../../src/platform/metrics/metrics-registry';
import { sampleValue } from '../support/metrics';
import { issueApiKey, startTestApp, TestApp } from '../support/test-app';
import { insertCustomer, insertSubscription } from '../support/usage';
import { productBySlug } from '../support/billing';

/**
 * ENTITLEMENT_CHECK_PORT: the checks on a listener of their own, over a real socket. Same answers,
 * same credentials and access rule, same error envelope and request id as on the API's port; nothing
 * else is served there.
 */
describe('entitlement checks on their own port (e2e)', () => {
  let t: TestApp;
  let base: string;
  let checkKey: string;
  let usageKey: string;

  beforeAll(async () => {
    t = await startTestApp({ env: { ENTITLEMENT_CHECK_PORT: '0', HOST: '127.0.0.1' } });
    await t.app.get(CatalogService).seedDemoCatalog();
    const port = t.app.get(EntitlementCheckRoute).checkPort();
    if (port === null) throw new Error('the checks did not get a port of their own');
    base = `http://127.0.0.1:${port}`;
    checkKey = await issueApiKey(t, 'port-checker', ['entitlements:read']);
    usageKey = await issueApiKey(t, 'port-usage', ['usage:write']);
    const customerId = await insertCustomer(t, 'port_user');
    await insertSubscription(t, {
      customerId,
      userId: 'port_user',
      productId: (await productBySlug(t, 'pro-monthly')).id,
      status: 'active',
      start: new Date(Date.now() - 86_400_000),
      end: new Date(Date.now() + 29 * 86_400_000),
    });
  });
  afterAll(() => t.close());

  type Envelope = { error: { code: string; requestId: string } };
  const json = async <T = Envelope>(response: Response) => (await response.json()) as T;
  const post = (path: string, body: string, headers: Record<string, string> = {}) =>
    fetch(`${base}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${checkKey}`, 'content-type': 'application/json', ...headers },
      body,
    });

  it('answers a check and a batch as the API port does, with a request id', async () => {
    const body = { customerId: 'port_user', featureId: 'advanced-analytics' };
    const response = await post('/v1/entitlements/check', JSON.stringify(body));
    expect(response.status).toBe(200);
    expect(response.headers.get('x-request-id')).toMatch(/^req_/);
    const onApiPort = await t.inject({
      method: 'POST',
      url: '/v1/entitlements/check',
      headers: { authorization: `Bearer ${checkKey}` },
      payload: body,
    });
    expect(await response.json()).toEqual(onApiPort.json());
    const batch = await post(
      '/v1/entitlements/check/batch',
      JSON.stringify({ checks: [body, { customerId: 'nobody', featureId: 'advanced-analytics' }] }),
    );
    expect(batch.status).toBe(200);
    expect((await json<{ data: unknown[] }>(batch)).data).toEqual([
      expect.objectContaining({ allowed: true }),
      expect.objectContaining({ allowed: false, reason: 'no_subscription' }),
    ]);
  });

  it('refuses bad credentials and bad input in the error envelope', async () => {
    const body = JSON.stringify({ customerId: 'port_user', featureId: 'advanced-analytics' });
    const anonymous = await fetch(`${base}/v1/entitlements/check`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    expect(anonymous.status).toBe(401);
    expect((await json(anonymous)).error).toMatchObject({ code: 'UNAUTHENTICATED' });
    const wrongScope = await post('/v1/entitlements/check', body, { authorization: `Bearer ${usageKey}` });
    expect(wrongScope.status).toBe(403);

    const cases: Array<[string, Record<string, string>, number, string]> = [
      ['{"customerId": "port_user", "featureId":', {}, 400, 'BAD_REQUEST'],
      ['customerId=port_user', { 'content-type': 'application/x-www-form-urlencoded' }, 415, ''],
      [
        JSON.stringify({ customerId: 'port\u0000user', featureId: 'advanced-analytics' }),
        {},
        400,
        'VALIDATION_ERROR',
      ],
      [
        JSON.stringify({ customerId: 'port_user', featureId: 'advanced-analytics', quantity: 1.5 }),
        {},
        400,
        'VALIDATION_ERROR',
      ],
      [
        JSON.stringify({ customerId: 'port_user', featureId: 'advanced-analytics', extra: 1 }),
        {},
        400,
        'VALIDATION_ERROR',
      ],
      [`{"customerId": "${'x'.repeat(2 * 1024 * 1024)}"}`, {}, 413, ''],
    ];
    for (const [payload, headers, status, code] of cases) {
      const response = await post('/v1/entitlements/check', payload, headers);
      expect(response.status).toBe(status);
      const envelope = await json(response);
      expect(envelope.error.requestId).toBe(response.headers.get('x-request-id'));
      if (code) expect(envelope.error.code).toBe(code);
    }
  });

  it("records every request's duration by route and status, once, on either port", async () => {
    const metrics = t.app.get(MetricsRegistry);
    const counts = async () => {
      const exposition = await metrics.metrics();
      const count = (route: string, status: number) =>
        sampleValue(exposition, 'astrix_http_request_duration_seconds_count', {
          route,
          method: 'POST',
          status_code: String(status),
        }) || 0;
      return {
        checked: count('/v1/entitlements/check', 200),
        batched: count('/v1/entitlements/check/batch', 200),
        unauthenticated: count('/v1/entitlements/check', 401),
        malformed: count('/v1/entitlements/check', 400),
        unmatched: count('unmatched', 404),
      };
    };
    const before = await counts();
    const body = JSON.stringify({ customerId: 'port_user', featureId: 'advanced-analytics' });
    expect((await post('/v1/entitlements/check', body)).status).toBe(200);
    expect((await post('/v1/entitlements/check', body)).status).toBe(200);
    expect((await post('/v1/entitlements/check/batch', `{"checks":[${body}]}`)).status).toBe(200);
    expect((await post('/v1/entitlements/check', body, { authorization: 'Bearer nope' })).status).toBe(401);
    expect((await post('/v1/entitlements/check', '{"customerId":')).status).toBe(400);
    expect((await post('/v1/nothing/here', body)).status).toBe(404);
    // On the API's port the same route is recorded by the API's hook, not twice.
    const onApiPort = await t.inject({
      method: 'POST',
      url: '/v1/entitlements/check',
      headers: { authorization: `Bearer ${checkKey}`, 'content-type': 'application/json' },
      payload: body,
    });
    expect(onApiPort.statusCode).toBe(200);
    const after = await counts();
    expect({
      checked: after.checked - before.checked,
      batched: after.batched - before.batched,
      unauthenticated: after.unauthenticated - before.unauthenticated,
      malformed: after.malformed - before.malformed,
      unmatched: after.unmatched - before.unmatched,
    }).toEqual({ checked: 3, batched: 1, unauthenticated: 1, malformed: 1, unmatched: 1 });
  });

  it('refuses, as the API port does, the bodies its own reader sees first', async () => {
    const body = JSON.stringify({ customerId: 'port_user', featureId: 'advanced-analytics' });
    const cases: Array<[string, RequestInit, number, string, RegExp]> = [
      ['no media type', { body: new Blob([body]) }, 415, 'UNSUPPORTED_MEDIA_TYPE', /application\/json/],
      [
        'another media type',
        { body, headers: { 'content-type': 'text/plain' } },
        415,
        'UNSUPPORTED_MEDIA_TYPE',
        /application\/json/,
      ],
      ['an empty body', { body: '' }, 400, 'BAD_REQUEST', /empty/],
      ['a prototype key', { body: '{"__proto__": {"allowed": true}}' }, 400, 'VALIDATION_ERROR', /__proto__/],
      ['JSON that is not an object', { body: '[1, 2]' }, 400, 'VALIDATION_ERROR', /body must be/],
    ];
    for (const [what, init, status, code, message] of cases) {
      const headers = new Headers({
        authorization: `Bearer ${checkKey}`,
        'content-type': 'application/json',
      });
      for (const [name, value] of new Headers(init.headers)) headers.set(name, value);
      if (init.body instanceof Blob) headers.delete('content-type');
      const response = await fetch(`${base}/v1/entitlements/check`, { ...init, method: 'POST', headers });
      const envelope = await json<{ error: { code: string; message: string; requestId: string } }>(response);
      expect({ what, status: response.status, code: envelope.error.code }).toEqual({ what, status, code });
      expect(envelope.error.message).toMatch(message);
      expect(envelope.error.requestId).toBe(response.headers.get('x-request-id'));
    }
    // Charset and case in the media type are fine; a query string does not change the route.
    const lenient = await fetch(`${base}/v1/entitlements/check?trace=1`, {
      method: 'POST',
      headers: { authorization: `Bearer ${checkKey}`, 'content-type': 'Application/JSON; charset=utf-8' },
      body,
    });
    expect(lenient.status).toBe(200);
    // Another method on a check's path is not a route of this port.
    const get = await fetch(`${base}/v1/entitlements/check`, {
      headers: { authorization: `Bearer ${checkKey}` },
    });
    expect(get.status).toBe(404);
  });

  it('refuses a streamed body past the limit without reading it to its end, and keeps serving', async () => {
    // No Content-Length: the body arrives chunked, and the limit is counted as it comes.
    const limit = t.app.get(AppConfig).httpBodyLimitBytes;
    const chunk = Buffer.alloc(256 * 1024, 'x');
    const url = new URL(`${base}/v1/entitlements/check`);
    const answer = await new Promise<{ status: number; connection: string | undefined; body: string }>(
      (resolve, reject) => {
        const request = httpRequest(url, {
          method: 'POST',
          headers: { authorization: `Bearer ${checkKey}`, 'content-type': 'application/json' },
        });
        let sent = 0;
        let answered = false;
        const send = () => {
          // Far past the limit, unless the answer comes first (it does: the rest is never read).
          while (!answered && sent < limit * 8) {
            sent += chunk.length;
            if (!request.write(chunk)) return void request.once('drain', send);
          }
          if (!answered) request.end();
        };
        request.on('response', (response) => {
          answered = true;
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (part: string) => (text += part));
          response.on('end', () =>
            resolve({
              status: response.statusCode ?? 0,
              connection: response.headers.connection,
              body: text,
            }),
          );
        });
        // Once answered, the server closes the connection under the rest of the upload.
        request.on('error', (error) => answered || reject(error));
        request.write('{"customerId": "');
        send();
      },
    );
    expect(answer.status).toBe(413);
    expect(answer.connection).toBe('close');
    expect(JSON.parse(answer.body).error.code).toBe('PAYLOAD_TOO_LARGE');
    const after = await post(
      '/v1/entitlements/check',
      JSON.stringify({ customerId: 'port_user', featureId: 'advanced-analytics' }),
    );
    expect(after.status).toBe(200);
  });

  it('serves nothing but the checks', async () => {
    for (const path of ['/v1/me', '/health/live', '/v1/entitlements']) {
      const response = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${checkKey}` } });
      expect(response.status).toBe(404);
      expect((await json(response)).error).toMatchObject({ code: 'NOT_FOUND' });
    }
  });
});

describe('entitlement checks without ENTITLEMENT_CHECK_PORT (e2e)', () => {
  it('opens no port of their own', async () => {
    const t = await startTestApp();
    try {
      expect(t.app.get(EntitlementCheckRoute).checkPort()).toBeNull();
    } finally {
      await t.close();
    }
  });
});
