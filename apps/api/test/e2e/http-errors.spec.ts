import { startTestApp, TestApp } from '../support/test-app';
import { ProbeModule } from '../support/probe.module';

describe('HTTP layer: error envelope, validation, request ids, docs', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ imports: [ProbeModule], env: { HTTP_BODY_LIMIT_BYTES: '4096' } });
  });
  afterAll(() => t.close());

  const echo = (payload: string, headers: Record<string, string> = {}) =>
    t.inject({
      method: 'POST',
      url: '/v1/test-probe/echo',
      headers: { ...t.as(), 'content-type': 'application/json', ...headers },
      payload,
    });

  it('answers unknown routes with a 404 envelope', async () => {
    const response = await t.inject({ method: 'GET', url: '/v1/nope' });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({
      error: {
        code: 'NOT_FOUND',
        message: expect.stringContaining('/v1/nope'),
        requestId: expect.any(String),
      },
    });
  });

  it('refuses malformed JSON with 400 and a precise message', async () => {
    const response = await echo('{"value": "a", "amount": ');
    expect(response.statusCode).toBe(400);
    expect(response.json().error.code).toBe('BAD_REQUEST');
    expect(response.json().error.message).toMatch(/not valid JSON/i);
  });

  it('refuses unknown fields, naming them', async () => {
    const response = await echo(JSON.stringify({ value: 'a', amount: 1, admin: true }));
    expect(response.statusCode).toBe(400);
    const { error } = response.json();
    expect(error.code).toBe('VALIDATION_ERROR');
    expect(error.details).toEqual([{ field: 'admin', message: 'property admin should not exist' }]);
  });

  it('refuses wrong types, missing fields, negative and fractional amounts', async () => {
    const cases: Array<[unknown, string]> = [
      [{ value: 'a', amount: '10' }, 'amount'],
      [{ value: 'a' }, 'amount'],
      [{ amount: 1 }, 'value'],
      [{ value: 'a', amount: -1 }, 'amount'],
      [{ value: 'a', amount: 1.5 }, 'amount'],
      [{ value: 42, amount: 1 }, 'value'],
    ];
    for (const [body, field] of cases) {
      const response = await echo(JSON.stringify(body));
      expect(response.statusCode).toBe(400);
      expect(response.json().error.details.map((detail: { field: string }) => detail.field)).toContain(field);
    }
  });

  it('refuses a body that is not an object', async () => {
    for (const payload of ['[]', '"text"', '42', 'null']) {
      const response = await echo(payload);
      expect(response.statusCode).toBe(400);
      expect(response.json().error.requestId).toEqual(expect.any(String));
    }
  });

  it('refuses oversized bodies with 413', async () => {
    const response = await echo(JSON.stringify({ value: 'x'.repeat(10_000), amount: 1 }));
    expect(response.statusCode).toBe(413);
    expect(response.json().error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('refuses other content types with 415', async () => {
    const response = await echo('value=a&amount=1', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(response.statusCode).toBe(415);
    expect(response.json().error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('hides unexpected errors behind a 500 envelope without internals', async () => {
    const response = await t.inject({ method: 'GET', url: '/v1/test-probe/boom' });
    expect(response.statusCode).toBe(500);
    expect(response.json().error.code).toBe('INTERNAL_ERROR');
    expect(response.body).not.toContain('postgres://');
    expect(response.body).not.toContain('at ');
  });

  it('puts a request id on every response and keeps a sane incoming one', async () => {
    const minted = await t.inject({ method: 'GET', url: '/health/live' });
    expect(minted.headers['x-request-id']).toMatch(/^req_[0-9a-z]{26}$/);
    const kept = await t.inject({ method: 'GET', url: '/v1/nope', headers: { 'x-request-id': 'trace-123' } });
    expect(kept.headers['x-request-id']).toBe('trace-123');
    expect(kept.json().error.requestId).toBe('trace-123');
    const replaced = await t.inject({
      method: 'GET',
      url: '/health/live',
      headers: { 'x-request-id': 'bad id\n' },
    });
    expect(replaced.headers['x-request-id']).toMatch(/^req_/);
  });

  it('serves the OpenAPI document and the docs page', async () => {
    const document = await t.inject({ method: 'GET', url: '/docs/openapi.json' });
    expect(document.statusCode).toBe(200);
    const paths = Object.keys(document.json().paths);
    expect(paths).toEqual(
      expect.arrayContaining(['/health/ready', '/v1/admin/api-keys', '/v1/admin/api-keys/{id}/revoke']),
    );
    // Served by Fastify directly, yet documented with the rest.
    const check = document.json().paths['/v1/entitlements/check'].post;
    expect(check.operationId).toBe('checkEntitlement');
    expect(check.requestBody.content['application/json'].schema.required).toEqual([
      'customerId',
      'featureId',
    ]);
    expect(check.responses['200'].content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/EntitlementCheckResponse',
    });
    expect(document.json().components.schemas.EntitlementCheckResponse.properties.reason).toEqual({
      $ref: '#/components/schemas/EntitlementReason',
    });
    expect(document.json().components.schemas.EntitlementReason.enum).toContain('subscription_past_due');
    const page = await t.inject({ method: 'GET', url: '/docs' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
  });

  it('reports liveness and readiness of database, redis and migrations', async () => {
    expect((await t.inject({ method: 'GET', url: '/health/live' })).statusCode).toBe(200);
    const ready = await t.inject({ method: 'GET', url: '/health/ready' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json().info).toEqual({
      database: { status: 'up' },
      redis: { status: 'up' },
      migrations: { status: 'up' },
    });
  });
});
