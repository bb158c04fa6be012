import { CatalogService } from '../../src/modules/billing/catalog/catalog.service';
import { EntitlementCheckRoute } from '../../src/modules/billing/metering/entitlement-check.route';
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
