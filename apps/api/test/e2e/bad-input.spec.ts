import { issueApiKey, startTestApp, TestApp } from '../support/test-app';

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH';
interface Case {
  method: Method;
  url: string;
  payload?: unknown;
  field: string;
  as: 'staff' | 'service';
}

const ID = '01jzzzzzzzzzzzzzzzzzzzzzzz';

/** Every route that takes a date, with `X` where the date goes. */
const DATE_INPUTS: Case[] = [
  { as: 'staff', method: 'GET', url: '/v1/admin/reports/revenue?from=X&to=2026-02-01', field: 'from' },
  { as: 'staff', method: 'GET', url: '/v1/admin/reports/revenue?from=2026-01-01&to=X', field: 'to' },
  {
    as: 'staff',
    method: 'GET',
    url: '/v1/usage/summary?customerId=cust_x&featureId=api-calls&from=X',
    field: 'from',
  },
  {
    as: 'service',
    method: 'GET',
    url: '/v1/usage/summary?customerId=cust_x&featureId=api-calls&to=X',
    field: 'to',
  },
  { as: 'staff', method: 'GET', url: '/v1/admin/audit-log?from=X', field: 'from' },
  { as: 'staff', method: 'GET', url: '/v1/admin/events?to=X', field: 'to' },
  {
    as: 'staff',
    method: 'POST',
    url: `/v1/admin/webhook-endpoints/whe_${ID}/replay?from=X&to=2026-02-01`,
    field: 'from',
  },
  { as: 'staff', method: 'POST', url: '/v1/admin/coupons', payload: { expiresAt: 'X' }, field: 'expiresAt' },
  {
    as: 'staff',
    method: 'PATCH',
    url: `/v1/admin/coupons/cpn_${ID}`,
    payload: { expiresAt: 'X' },
    field: 'expiresAt',
  },
  {
    as: 'staff',
    method: 'PUT',
    url: '/v1/admin/customers/cust_x/entitlements/api-calls',
    payload: { kind: 'grant', expiresAt: 'X', reason: 'goodwill' },
    field: 'expiresAt',
  },
  { as: 'staff', method: 'POST', url: '/v1/admin/billing-runs', payload: { asOf: 'X' }, field: 'asOf' },
  {
    as: 'service',
    method: 'POST',
    url: '/v1/payouts/balance-snapshots',
    payload: { accountId: `acc_${ID}`, balance: 1, reportedAt: 'X' },
    field: 'reportedAt',
  },
  {
    as: 'service',
    method: 'POST',
    url: '/v1/payouts/kyc-statuses',
    payload: { userId: 'user_1', status: 'verified', updatedAt: 'X' },
    field: 'updatedAt',
  },
  {
    as: 'service',
    method: 'POST',
    url: `/v1/accounts/acc_${ID}/events`,
    payload: { eventId: 'e1', type: 'passed', occurredAt: 'X', reason: 'r' },
    field: 'occurredAt',
  },
];

/** Every route that takes a calendar day (YYYY-MM-DD), with `X` where the day goes. */
const DAY_INPUTS: Case[] = [
  { as: 'staff', method: 'GET', url: '/v1/admin/fx-rates?day=X', field: 'day' },
  {
    as: 'staff',
    method: 'PUT',
    url: '/v1/admin/fx-rates',
    payload: { day: 'X', base: 'EUR', quote: 'USD', rate: '1.08' },
    field: 'day',
  },
  { as: 'staff', method: 'POST', url: '/v1/admin/reconciliations', payload: { date: 'X' }, field: 'date' },
];

/** Shaped like a day and not one. */
const BAD_DAYS = ['2026-02-30', '2026-13-01', '2026-00-10', '0000-01-01'];

/** Forms class-validator's IsISO8601 accepted and `new Date()` refused (NaN) or rolled over. */
const BAD_DATES = ['2026-W01', '2026-01-01T10', '2026-02-30T10:00:00Z', '20260101T100000Z'];

describe('bad input never yields a 5xx', () => {
  let t: TestApp;
  let serviceKey: string;
  beforeAll(async () => {
    t = await startTestApp();
    serviceKey = await issueApiKey(t, 'bad input', [
      'usage:read',
      'usage:write',
      'accounts:write',
      'kyc:write',
    ]);
  });
  afterAll(() => t.close());

  const send = (
    as: Case['as'],
    method: Method,
    url: string,
    payload?: unknown,
  ): ReturnType<TestApp['inject']> =>
    t.inject({
      method,
      url,
      headers:
        as === 'staff'
          ? t.as({ sub: 'staff_admin', roles: ['admin'] })
          : { authorization: `Bearer ${serviceKey}` },
      ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
    });

  const outcome = (response: Awaited<ReturnType<TestApp['inject']>>) => ({
    status: response.statusCode,
    fields: ((response.json().error?.details ?? []) as Array<{ field: string }>).map(
      (detail) => detail.field,
    ),
  });

  it('refuses a date the parser cannot convert on every date input, naming the field', async () => {
    const results = [];
    for (const input of DATE_INPUTS) {
      for (const date of BAD_DATES) {
        const url = input.url.replace('=X', `=${encodeURIComponent(date)}`);
        const payload =
          input.payload === undefined
            ? undefined
            : JSON.parse(JSON.stringify(input.payload).replace('"X"', JSON.stringify(date)));
        const response = await send(input.as, input.method, url, payload);
        const { status, fields } = outcome(response);
        results.push({
          route: `${input.method} ${url} ${JSON.stringify(payload ?? '')}`,
          status,
          named: fields.includes(input.field),
        });
      }
    }
    expect(results.filter((result) => result.status !== 400 || !result.named)).toEqual([]);
  });

  it('refuses a calendar day that does not exist on every day input, naming the field', async () => {
    const results = [];
    for (const input of DAY_INPUTS) {
      for (const day of BAD_DAYS) {
        const url = input.url.replace('=X', `=${day}`);
        const payload =
          input.payload === undefined
            ? undefined
            : JSON.parse(JSON.stringify(input.payload).replace('"X"', JSON.stringify(day)));
        const response = await t.inject({
          method: input.method,
          url,
          headers: {
            ...t.as({ sub: 'staff_admin', roles: ['admin'] }),
            'idempotency-key': `day-${day}-${input.url}`,
          },
          ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
        });
        const { status, fields } = outcome(response);
        results.push({
          route: `${input.method} ${url} ${JSON.stringify(payload ?? '')}`,
          status,
          named: fields.includes(input.field),
        });
      }
    }
    expect(results.filter((result) => result.status !== 400 || !result.named)).toEqual([]);
  });

  it('reads a date with an offset as the instant it names (canonical UTC)', async () => {
    const response = await send(
      'staff',
      'GET',
      `/v1/admin/reports/revenue?from=${encodeURIComponent('2026-01-01T00:00+01:00')}&to=2026-02-01`,
    );
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      from: '2025-12-31T23:00:00.000Z',
      to: '2026-02-01T00:00:00.000Z',
    });
  });

  it('refuses a NUL character in a query value, naming the field', async () => {
    for (const [as, url, field] of [
      ['staff', '/v1/admin/customers?query=A%00B', 'query'],
      ['staff', '/v1/usage/summary?customerId=A%00B&featureId=api-calls', 'customerId'],
      ['service', '/v1/usage/summary?customerId=A%00B&featureId=api-calls', 'customerId'],
    ] as const) {
      const response = await send(as, 'GET', url);
      expect({ url, ...outcome(response) }).toEqual({ url, status: 400, fields: [field] });
    }
  });

  it('refuses a NUL character in a path parameter and in any body string or key', async () => {
    const cases: Array<[Case['as'], Method, string, unknown, string]> = [
      [
        'staff',
        'PUT',
        '/v1/admin/customers/cust%00x/entitlements/api-calls',
        { kind: 'grant', reason: 'goodwill' },
        'customerId',
      ],
      [
        'staff',
        'PUT',
        '/v1/admin/customers/cust_x/entitlements/api-calls',
        { kind: 'grant', reason: 'good\u0000will' },
        'reason',
      ],
      [
        'staff',
        'POST',
        '/v1/admin/coupons',
        { code: 'NUL', name: 'x', extra: { list: ['ok', 'a\u0000'] } },
        'extra.list.1',
      ],
      ['staff', 'POST', '/v1/admin/coupons', { code: 'NUL', ['na\u0000me']: 'x' }, 'na\\u0000me'],
      [
        'service',
        'POST',
        '/v1/usage/events',
        {
          customerId: 'cust\u0000',
          featureId: 'api-calls',
          timestamp: '2026-01-01T00:00:00Z',
          idempotencyKey: 'k1',
        },
        'customerId',
      ],
    ];
    for (const [as, method, url, payload, field] of cases) {
      const response = await send(as, method, url, payload);
      expect({ url, ...outcome(response) }).toEqual({ url, status: 400, fields: [field] });
      expect(response.json().error.code).toBe('VALIDATION_ERROR');
    }
  });

  it('refuses a body nested deeper than any request needs, without a 5xx', async () => {
    const deep = `${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`;
    const response = await t.inject({
      method: 'POST',
      url: '/v1/admin/coupons',
      headers: { ...t.as({ sub: 'staff_admin', roles: ['admin'] }), 'content-type': 'application/json' },
      payload: deep,
    });
    expect(response.statusCode).toBe(400);
  });
});
