import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestApp } from '../support/test-app';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const responses = require('../../scripts/openapi-responses.js') as {
  generatedText: () => string;
  OUTPUT: string;
};

/** The committed document; `pnpm openapi:write` regenerates it (and the response schemas it reads). */
const COMMITTED = join(__dirname, '../../../../docs/openapi.json');
const WRITE = process.env.OPENAPI_WRITE === '1';
const REGENERATE = 'run `pnpm openapi:write` and review the diff';

interface Operation {
  operationId?: string;
  security?: Array<Record<string, string[]>>;
  parameters?: Array<{ name: string; in: string; required?: boolean }>;
  responses: Record<string, Response & { $ref?: string }>;
  'x-astrix-access'?: unknown[];
}
interface Response {
  description?: string;
  content?: Record<string, { schema?: unknown }>;
}
interface Document {
  paths: Record<string, Record<string, Operation>>;
  components: { responses: Record<string, Response> };
}

/** A response, through its reference to a shared one (components.responses) if it is one. */
const resolved = (document: Document, response: Response & { $ref?: string }): Response =>
  response.$ref
    ? document.components.responses[response.$ref.replace('#/components/responses/', '')]
    : response;

const operations = (document: Document): Array<[string, Operation]> =>
  Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, operation]): [string, Operation] => [
      `${method.toUpperCase()} ${path}`,
      operation,
    ]),
  );

describe('OpenAPI document', () => {
  let t: TestApp;
  let document: Document;

  beforeAll(async () => {
    if (WRITE) writeFileSync(responses.OUTPUT, responses.generatedText());
    // Loaded only now, so the app reads the response schemas just written.
    const { startTestApp } = await import('../support/test-app');
    t = await startTestApp();
    document = (await t.inject({ method: 'GET', url: '/docs/openapi.json' })).json();
    if (WRITE) writeFileSync(COMMITTED, `${JSON.stringify(document, null, 2)}\n`);
  }, 120_000);

  afterAll(async () => {
    await t?.close();
  });

  it(`has response schemas generated from the controllers' return types as they are now (${REGENERATE})`, () => {
    expect(readFileSync(responses.OUTPUT, 'utf8')).toBe(responses.generatedText());
  }, 60_000);

  it(`is the committed docs/openapi.json (${REGENERATE})`, () => {
    const committed = JSON.parse(readFileSync(COMMITTED, 'utf8')) as Document;
    expect(document).toEqual(committed);
  });

  it('is a valid OpenAPI 3 document, every $ref resolving (@apidevtools/swagger-parser)', () => {
    // The validator ships as ESM only: it runs in its own Node process, on the committed file.
    const run = spawnSync(
      process.execPath,
      [join(__dirname, '../../scripts/validate-openapi.mjs'), COMMITTED],
      {
        encoding: 'utf8',
      },
    );
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
    expect(run.stdout).toMatch(/^valid: Astrix billing platform API 1, \d+ operations/);
  });

  it('documents a success schema and error envelope for every route, and who may call it', () => {
    const missing: string[] = [];
    for (const [route, operation] of operations(document)) {
      const codes = Object.keys(operation.responses);
      const success = codes.find((code) => code.startsWith('2'));
      if (!success) missing.push(`${route}: no success response`);
      else if (success !== '204' && !operation.responses[success].content) {
        missing.push(`${route}: ${success} has no schema`);
      }
      for (const code of codes.filter((status) => status >= '400')) {
        const schema = resolved(document, operation.responses[code]).content?.['application/json']?.schema;
        if (!schema) missing.push(`${route}: ${code} without the error envelope`);
      }
      if (!operation['x-astrix-access']?.length) missing.push(`${route}: no access rule`);
    }
    expect(missing).toEqual([]);
  });

  it('derives security from the access decorators: roles, scopes, public', () => {
    const refund = document.paths['/v1/admin/charges/{id}/refunds'].post;
    expect(refund.security).toEqual([{ userJwt: [] }]);
    expect(refund['x-astrix-access']).toEqual([{ kind: 'roles', roles: ['support', 'finance'] }]);
    expect(resolved(document, refund.responses['403']).content?.['application/json'].schema).toEqual({
      $ref: '#/components/schemas/ErrorEnvelope',
    });
    const usage = document.paths['/v1/usage/events'].post;
    expect(usage.security).toEqual([{ apiKey: [] }, { apiKeyHeader: [] }]);
    const health = document.paths['/health/live'].get;
    expect(health.security).toEqual([]);
    expect(health.responses['401']).toBeUndefined();
    const check = document.paths['/v1/entitlements/check'].post;
    expect(check.security).toEqual([{ apiKey: [] }, { apiKeyHeader: [] }, { userJwt: [] }]);
  });

  it('documents Idempotency-Key: required where the route refuses to run without it, optional on other POSTs', () => {
    const header = (operation: Operation) =>
      operation.parameters?.find((parameter) => parameter.name === 'Idempotency-Key');
    expect(header(document.paths['/v1/admin/charges/{id}/refunds'].post)).toMatchObject({ required: true });
    expect(header(document.paths['/v1/billing/checkout-sessions'].post)).toMatchObject({ required: false });
    expect(header(document.paths['/v1/billing/subscriptions'].get)).toBeUndefined();
  });

  it('types list responses as the route answers them: products are {data: ProductView[]}', () => {
    const products = document.paths['/v1/billing/products'].get.responses['200'].content?.['application/json']
      .schema as { properties: { data: { items: unknown } }; required: string[] };
    expect(products.properties.data.items).toEqual({ $ref: '#/components/schemas/ProductView' });
    expect(products.required).toEqual(['data']);
  });
});
