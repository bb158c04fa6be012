import { CatalogService } from '../../src/modules/billing/catalog/catalog.service';
import { UsageCharges } from '../../src/modules/billing/subscriptions/usage-charges.port';
import { Clock } from '../../src/platform/clock';
import { V8_LARGE_STRING_BYTES } from '../../src/platform/large-strings';
import { UsageAlertsService } from '../../src/modules/billing/metering/usage-alerts.service';
import { productBySlug } from '../support/billing';
import { outboxSchemaViolations } from '../support/event-schemas';
import { issueApiKey, startTestApp, TestApp } from '../support/test-app';
import { ADMIN, createFeature, grantToPlan, insertCustomer, insertSubscription } from '../support/usage';

const PERIOD_START = new Date('2026-11-01T00:00:00Z');
const PERIOD_END = new Date('2026-12-01T00:00:00Z');

describe('usage metering (e2e)', () => {
  let t: TestApp;
  let key: string;
  let readKey: string;
  let planId: string;
  let now: Date;
  let sequence = 0;
  const customers: Record<string, string> = {};

  beforeAll(async () => {
    t = await startTestApp();
    now = new Date('2026-11-15T12:00:00Z');
    jest.spyOn(t.app.get(Clock), 'now').mockImplementation(() => new Date(now.getTime()));
    await t.app.get(CatalogService).seedDemoCatalog();
    planId = (await productBySlug(t, 'pro-monthly')).id;
    key = await issueApiKey(t, 'trading-platform', ['usage:write']);
    readKey = await issueApiKey(t, 'dashboards', ['usage:read']);
    await createFeature(t, { id: 'api-calls', name: 'API calls', kind: 'metered', unit: 'calls' });
    await createFeature(t, { id: 'orders', name: 'Orders', kind: 'metered', aggregation: 'count' });
    await createFeature(t, { id: 'peak-seats', name: 'Peak seats', kind: 'limit', aggregation: 'max' });
    await createFeature(t, { id: 'storage-gb', name: 'Storage', kind: 'metered', aggregation: 'latest' });
    await createFeature(t, {
      id: 'active-symbols',
      name: 'Active symbols',
      kind: 'metered',
      aggregation: 'unique_count',
      aggregationProperty: 'symbol',
    });
    await createFeature(t, { id: 'dark-mode', name: 'Dark mode', kind: 'boolean' });
    for (const feature of ['api-calls', 'orders', 'peak-seats', 'storage-gb', 'active-symbols']) {
      await grantToPlan(t, planId, feature, { limit: 1000 });
    }
    for (const user of ['u_main', 'u_race', 'u_agg', 'u_alert', 'u_fix', 'u_bound', 'u_bill']) {
      customers[user] = await insertCustomer(t, user);
      await insertSubscription(t, {
        customerId: customers[user],
        userId: user,
        productId: planId,
        status: 'active',
        start: PERIOD_START,
        end: PERIOD_END,
      });
    }
  });
  afterAll(() => t.close());

  const report = (payload: unknown, apiKey = key) =>
    t.inject({
      method: 'POST',
      url: '/v1/usage/events',
      headers: { authorization: `Bearer ${apiKey}` },
      payload: payload as Record<string, unknown>,
    });
  const event = (overrides: Record<string, unknown> = {}) => {
    sequence += 1;
    return {
      customerId: 'u_main',
      featureId: 'api-calls',
      quantity: 10,
      timestamp: '2026-11-15T10:00:00Z',
      idempotencyKey: `evt-${sequence}`,
      ...overrides,
    };
  };
  const summary = async (customerId: string, featureId: string, query = '') => {
    const response = await t.inject({
      method: 'GET',
      url: `/v1/usage/summary?customerId=${customerId}&featureId=${featureId}${query}`,
      headers: { authorization: `Bearer ${readKey}` },
    });
    expect(response.statusCode).toBe(200);
    return response.json() as {
      value: number;
      days: Array<{ date: string; value: number }>;
      from: string;
      to: string;
    };
  };

  it('stores one event, by our id or the external reference, and answers a repeat with the stored event', async () => {
    const first = await report(
      event({ idempotencyKey: 'single-1', serviceId: 'terminal', properties: { route: '/q' } }),
    );
    expect(first.statusCode).toBe(201);
    expect(first.json()).toMatchObject({
      status: 'accepted',
      event: {
        customerId: customers.u_main,
        featureId: 'api-calls',
        quantity: 10,
        idempotencyKey: 'single-1',
        serviceId: 'terminal',
        properties: { route: '/q' },
        timestamp: '2026-11-15T10:00:00.000Z',
      },
    });
    // Same key, by our customer id this time, and a different quantity: the stored event comes back.
    const again = await report(
      event({ idempotencyKey: 'single-1', customerId: customers.u_main, quantity: 99 }),
    );
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual({ status: 'duplicate', event: first.json().event });
    const [{ n }] = await t.dataSource.query(
      `SELECT count(*)::int AS n FROM billing.usage_events WHERE idempotency_key = 'single-1'`,
    );
    expect(n).toBe(1);
  });

  it('reports per-event results in a batch: duplicates within and across batches, bad events never block good ones', async () => {
    const before = await report({ events: [event({ idempotencyKey: 'batch-a' })] });
    expect(before.json().accepted).toBe(1);
    const response = await report({
      events: [
        event({ idempotencyKey: 'batch-b', quantity: 5 }), // 0 accepted
        event({ idempotencyKey: 'batch-a' }), // 1 duplicate of an earlier batch
        event({ idempotencyKey: 'batch-b', quantity: 7 }), // 2 duplicate within the batch
        event({ customerId: 'nobody' }), // 3
        event({ featureId: 'no-such-feature' }), // 4
        event({ featureId: 'dark-mode' }), // 5
        event({ timestamp: 'yesterday' }), // 6
        event({ quantity: -3 }), // 7
        event({ timestamp: '2026-11-15T12:30:00Z' }), // 8 in the future beyond the skew
        event({ customerId: 'u_main', extra: true }), // 9
        'not an event', // 10
        event({ quantity: 1.5 }), // 11
        event({ idempotencyKey: 'batch-c' }), // 12 accepted
      ],
    });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body).toMatchObject({ accepted: 2, duplicates: 2, rejected: 9 });
    const results = body.results as Array<Record<string, unknown>>;
    expect(results.map((result) => result.status)).toEqual([
      'accepted',
      'duplicate',
      'duplicate',
      'rejected',
      'rejected',
      'rejected',
      'rejected',
      'rejected',
      'rejected',
      'rejected',
      'rejected',
      'rejected',
      'accepted',
    ]);
    expect(results.map((result) => result.index)).toEqual([...Array(13).keys()]);
    expect(results[1]).toMatchObject({
      event: { idempotencyKey: 'batch-a', quantity: 10 },
      id: before.json().results[0].id,
    });
    expect(results[2]).toMatchObject({
      id: results[0].id,
      event: { idempotencyKey: 'batch-b', quantity: 5 },
    });
    expect(results.slice(3, 12).map((result) => result.reason)).toEqual([
      'unknown_customer',
      'unknown_feature',
      'feature_not_metered',
      'invalid_event',
      'invalid_event',
      'timestamp_in_future',
      'invalid_event',
      'invalid_event',
      'invalid_event',
    ]);
    expect(results[9].message).toMatch(/extra is not allowed/);
    const stored = await t.dataSource.query(
      `SELECT idempotency_key, quantity::int FROM billing.usage_events WHERE idempotency_key LIKE 'batch-%' ORDER BY 1`,
    );
    expect(stored).toEqual([
      { idempotency_key: 'batch-a', quantity: 10 },
      { idempotency_key: 'batch-b', quantity: 5 },
      { idempotency_key: 'batch-c', quantity: 10 },
    ]);
  });

  it('answers a batch asked with Prefer: return=minimal with its counts and the events not accepted only', async () => {
    const earlier = await report({ events: [event({ idempotencyKey: 'minimal-a' })] });
    const minimal = (payload: unknown, prefer: string) =>
      t.inject({
        method: 'POST',
        url: '/v1/usage/events',
        headers: { authorization: `Bearer ${key}`, prefer },
        payload: payload as Record<string, unknown>,
      });
    const response = await minimal(
      {
        events: [
          event({ idempotencyKey: 'minimal-b', quantity: 4 }), // 0 accepted
          event({ idempotencyKey: 'minimal-a' }), // 1 duplicate of an earlier batch
          event({ idempotencyKey: 'minimal-b', quantity: 9 }), // 2 duplicate within the batch
          event({ featureId: 'no-such-feature' }), // 3 rejected
          event({ idempotencyKey: 'minimal-c', quantity: 6 }), // 4 accepted
        ],
      },
      'respond-async, Return="Minimal"',
    );
    expect(response.statusCode).toBe(200);
    expect(response.headers['preference-applied']).toBe('return=minimal');
    const body = response.json();
    expect(body).toMatchObject({ accepted: 2, duplicates: 2, rejected: 1 });
    expect(body.results).toEqual([
      expect.objectContaining({ index: 1, status: 'duplicate', id: earlier.json().results[0].id }),
      expect.objectContaining({
        index: 2,
        status: 'duplicate',
        event: expect.objectContaining({ quantity: 4 }),
      }),
      expect.objectContaining({ index: 3, status: 'rejected', reason: 'unknown_feature' }),
    ]);
    // The accepted events are stored all the same, once each.
    const stored: Array<{ idempotency_key: string; quantity: string }> = await t.dataSource.query(
      `SELECT idempotency_key, quantity FROM billing.usage_events
        WHERE idempotency_key IN ('minimal-a', 'minimal-b', 'minimal-c') ORDER BY idempotency_key`,
    );
    expect(stored.map((row) => [row.idempotency_key, Number(row.quantity)])).toEqual([
      ['minimal-a', 10],
      ['minimal-b', 4],
      ['minimal-c', 6],
    ]);

    // Any other return, and a single event, keep the full answer without Preference-Applied.
    const full = await minimal({ events: [event(), event()] }, 'return=representation');
    expect(full.headers['preference-applied']).toBeUndefined();
    expect(full.json().results.map((result: { status: string }) => result.status)).toEqual([
      'accepted',
      'accepted',
    ]);
    const single = await minimal(event({ idempotencyKey: 'minimal-single' }), 'return=minimal');
    expect(single.statusCode).toBe(201);
    expect(single.headers['preference-applied']).toBeUndefined();
    expect(single.json()).toMatchObject({ status: 'accepted', event: { idempotencyKey: 'minimal-single' } });
  });

  it("takes a batch past V8's large-string size as a small one, parsed in pieces or whole", async () => {
    const customerId = await insertCustomer(t, 'u_large');
    const notes = ['plain', 'é€😀', '{"a":[1,2]}', '}{'];
    const batch = (round: string, note: (n: number) => string) => ({
      events: Array.from({ length: 1000 }, (_, n) =>
        event({
          customerId: 'u_large',
          timestamp: '2026-11-15T11:30:00Z',
          quantity: 1,
          idempotencyKey: `large-${round}-${n}`,
          properties: { note: note(n) },
        }),
      ),
    });
    // Mixed: cut into pieces between objects. Whole: every event holds a string that looks like a cut
    // (`"},{"`), so the first piece fails and the body is parsed whole.
    const rounds = { mixed: (n: number) => notes[n % notes.length], whole: () => '"},{"' };
    const parse = jest.spyOn(JSON, 'parse');
    const largestParsed: Record<string, number> = {};
    for (const [round, note] of Object.entries(rounds)) {
      const payload = batch(round, note);
      expect(Buffer.byteLength(JSON.stringify(payload))).toBeGreaterThan(V8_LARGE_STRING_BYTES);
      parse.mockClear();
      const response = await report(payload);
      largestParsed[round] = Math.max(...parse.mock.calls.map(([text]) => text.length));
      expect(response.statusCode).toBe(200);
      expect(response.json()).toMatchObject({ accepted: 1000, duplicates: 0, rejected: 0 });
    }
    parse.mockRestore();
    expect(largestParsed.mixed).toBeLessThan(V8_LARGE_STRING_BYTES);
    expect(largestParsed.whole).toBeGreaterThan(V8_LARGE_STRING_BYTES);
    const stored: Array<{ idempotency_key: string; note: string }> = await t.dataSource.query(
      `SELECT idempotency_key, properties->>'note' AS note FROM billing.usage_events
        WHERE customer_id = $1 AND idempotency_key LIKE 'large-%'`,
      [customerId],
    );
    expect(stored).toHaveLength(2000);
    for (const row of stored) {
      const [, round, n] = row.idempotency_key.split('-');
      expect(row.note).toBe(rounds[round as keyof typeof rounds](Number(n)));
    }
    // Prototype poisoning deep in a large batch is refused as in a small one, and stores nothing.
    const poison = (text: string) =>
      text.replace('"properties":{"note":"x"}}]', '"properties":{"__proto__":{"note":"x"}}}]');
    const answers = await Promise.all(
      [batch('poison', () => 'x'), { events: batch('poison-small', () => 'x').events.slice(0, 2) }].map(
        (payload) =>
          t.inject({
            method: 'POST',
            url: '/v1/usage/events',
            headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
            payload: poison(JSON.stringify(payload)),
          }),
      ),
    );
    expect(answers.map((answer) => answer.statusCode)).toEqual([400, 400]);
    expect(answers[0].json().error.code).toBe(answers[1].json().error.code);
    const [{ n }] = await t.dataSource.query(
      `SELECT count(*)::int AS n FROM billing.usage_events WHERE customer_id = $1 AND idempotency_key LIKE 'large-poison%'`,
      [customerId],
    );
    expect(n).toBe(0);
  });

  it('refuses a malformed batch, an oversized one and callers without usage:write', async () => {
    expect((await report({ events: [] })).statusCode).toBe(400);
    expect((await report({ events: Array.from({ length: 1001 }, () => event()) })).statusCode).toBe(400);
    expect((await report({ events: [event()], more: 1 })).statusCode).toBe(400);
    expect((await report([event()])).statusCode).toBe(400);
    const single = await report(event({ featureId: 'nope' }));
    expect(single.statusCode).toBe(422);
    expect(single.json().error).toMatchObject({
      code: 'USAGE_REJECTED',
      details: [{ field: 'unknown_feature' }],
    });
    expect((await report(event({ timestamp: 'x' }))).statusCode).toBe(400);
    expect((await report(event(), readKey)).statusCode).toBe(403);
    const user = await t.inject({
      method: 'POST',
      url: '/v1/usage/events',
      headers: t.as({ sub: 'u_main' }),
      payload: event(),
    });
    expect(user.statusCode).toBe(403);
  });

  it('stores concurrent identical events once: every racer gets the same stored event', async () => {
    const racers = await Promise.all(
      Array.from({ length: 12 }, (_, index) =>
        report(
          index % 2 === 0
            ? event({ customerId: 'u_race', idempotencyKey: 'race-1', quantity: 3 })
            : {
                events: [
                  event({ customerId: 'u_race', idempotencyKey: 'race-1', quantity: 3 }),
                  event({ customerId: 'u_race' }),
                ],
              },
        ),
      ),
    );
    const outcomes = racers.map((response) => {
      const body = response.json();
      return body.status
        ? { status: body.status as string, id: body.event.id as string }
        : { status: body.results[0].status as string, id: body.results[0].id as string };
    });
    expect(outcomes.filter((outcome) => outcome.status === 'accepted')).toHaveLength(1);
    expect(outcomes.filter((outcome) => outcome.status === 'duplicate')).toHaveLength(11);
    expect(new Set(outcomes.map((outcome) => outcome.id)).size).toBe(1);
    const [{ n }] = await t.dataSource.query(
      `SELECT count(*)::int AS n FROM billing.usage_events WHERE customer_id = $1 AND idempotency_key = 'race-1'`,
      [customers.u_race],
    );
    expect(n).toBe(1);
  });

  it('races batches that share many keys in opposite orders without a deadlock: each key stored once', async () => {
    // More keys than one slice of the statement's rows (JSON_ROWS_SLICE): the rows go as bytes.
    const keys = Array.from({ length: 250 }, (_, index) => `shared-${index}`);
    const batch = (order: string[]) => ({
      events: order.map((idempotencyKey) => event({ customerId: 'u_race', idempotencyKey, quantity: 1 })),
    });
    const responses = await Promise.all([
      report(batch(keys)),
      report(batch([...keys].reverse())),
      report(batch(keys.filter((_, index) => index % 2 === 0).reverse())),
      report(batch(keys)),
    ]);
    expect(responses.map((response) => response.statusCode)).toEqual([200, 200, 200, 200]);
    const accepted = responses.reduce((total, response) => total + (response.json().accepted as number), 0);
    expect(accepted).toBe(250);
    const [{ n }] = await t.dataSource.query(
      `SELECT count(*)::int AS n FROM billing.usage_events WHERE customer_id = $1 AND idempotency_key LIKE 'shared-%'`,
      [customers.u_race],
    );
    expect(n).toBe(250);
  });

  it('keeps the ledger append-only: the database refuses UPDATE and DELETE', async () => {
    await expect(t.dataSource.query(`UPDATE billing.usage_events SET quantity = 0`)).rejects.toThrow(
      /append-only/,
    );
    await expect(t.dataSource.query(`DELETE FROM billing.usage_events`)).rejects.toThrow(/append-only/);
  });

  it('corrects with negative events that name the original: partly for sums, in full for other metrics, never more', async () => {
    const base = { customerId: 'u_fix', timestamp: '2026-11-14T09:00:00Z' };
    await report({
      events: [
        event({ ...base, idempotencyKey: 'fix-sum', quantity: 100 }),
        event({ ...base, idempotencyKey: 'fix-count', featureId: 'orders', quantity: 1 }),
        event({ ...base, idempotencyKey: 'fix-max', featureId: 'peak-seats', quantity: 9 }),
        event({ ...base, idempotencyKey: 'fix-max-2', featureId: 'peak-seats', quantity: 4 }),
      ],
    });
    const response = await report({
      events: [
        event({ ...base, idempotencyKey: 'fix-sum-c1', quantity: -30, correctionOf: 'fix-sum' }),
        event({ ...base, idempotencyKey: 'fix-sum-c2', quantity: -60, correctionOf: 'fix-sum' }),
        event({ ...base, idempotencyKey: 'fix-sum-c3', quantity: -20, correctionOf: 'fix-sum' }), // 110 > 100
        event({
          ...base,
          idempotencyKey: 'fix-count-c',
          featureId: 'orders',
          quantity: -1,
          correctionOf: 'fix-count',
        }),
        event({
          ...base,
          idempotencyKey: 'fix-max-c1',
          featureId: 'peak-seats',
          quantity: -5,
          correctionOf: 'fix-max',
        }),
        event({
          ...base,
          idempotencyKey: 'fix-max-c2',
          featureId: 'peak-seats',
          quantity: -9,
          correctionOf: 'fix-max',
        }),
        event({ ...base, idempotencyKey: 'fix-none', quantity: -1, correctionOf: 'never-reported' }),
        event({
          ...base,
          idempotencyKey: 'fix-other',
          featureId: 'orders',
          quantity: -1,
          correctionOf: 'fix-sum',
        }),
        event({ ...base, idempotencyKey: 'fix-pos', quantity: 5, correctionOf: 'fix-sum' }),
        event({ ...base, idempotencyKey: 'fix-chain', quantity: -1, correctionOf: 'fix-sum-c1' }),
      ],
    });
    const results = response.json().results as Array<{ status: string; reason?: string }>;
    expect(results.map((result) => result.reason ?? result.status)).toEqual([
      'accepted',
      'accepted',
      'invalid_correction',
      'accepted',
      'invalid_correction',
      'accepted',
      'invalid_correction',
      'invalid_correction',
      'invalid_correction',
      'invalid_correction',
    ]);
    expect((await summary('u_fix', 'api-calls')).value).toBe(10);
    expect((await summary('u_fix', 'orders')).value).toBe(0);
    expect((await summary('u_fix', 'peak-seats')).value).toBe(4); // the 9 was voided
  });

  it('computes every aggregation per period and per day', async () => {
    const at = (day: number, hour = 10) =>
      `2026-11-${String(day).padStart(2, '0')}T${String(hour).padStart(2, '0')}:00:00Z`;
    const base = { customerId: 'u_agg' };
    const response = await report({
      events: [
        event({ ...base, quantity: 5, timestamp: at(2) }),
        event({ ...base, quantity: 7, timestamp: at(2, 11) }),
        event({ ...base, quantity: 1, timestamp: at(3) }),
        event({ ...base, featureId: 'orders', timestamp: at(2) }),
        event({ ...base, featureId: 'orders', timestamp: at(3) }),
        event({ ...base, featureId: 'orders', timestamp: at(3, 12) }),
        event({ ...base, featureId: 'peak-seats', quantity: 3, timestamp: at(2) }),
        event({ ...base, featureId: 'peak-seats', quantity: 8, timestamp: at(3) }),
        event({ ...base, featureId: 'peak-seats', quantity: 2, timestamp: at(4) }),
        event({ ...base, featureId: 'storage-gb', quantity: 40, timestamp: at(2) }),
        event({ ...base, featureId: 'storage-gb', quantity: 25, timestamp: at(4) }),
        event({ ...base, featureId: 'storage-gb', quantity: 30, timestamp: at(3) }),
        event({ ...base, featureId: 'active-symbols', timestamp: at(2), properties: { symbol: 'EURUSD' } }),
        event({
          ...base,
          featureId: 'active-symbols',
          timestamp: at(2, 11),
          properties: { symbol: 'GBPUSD' },
        }),
        event({ ...base, featureId: 'active-symbols', timestamp: at(3), properties: { symbol: 'EURUSD' } }),
        event({
          ...base,
          featureId: 'active-symbols',
          timestamp: at(3, 11),
          properties: { symbol: 'XAUUSD' },
        }),
      ],
    });
    expect(response.json().accepted).toBe(16);
    const sum = await summary('u_agg', 'api-calls');
    expect(sum).toMatchObject({
      value: 13,
      aggregation: 'sum',
      unit: 'calls',
      from: PERIOD_START.toISOString(),
      to: PERIOD_END.toISOString(),
      days: [
        { date: '2026-11-02', value: 12 },
        { date: '2026-11-03', value: 1 },
      ],
    });
    expect(await summary('u_agg', 'orders')).toMatchObject({
      value: 3,
      days: [
        { date: '2026-11-02', value: 1 },
        { date: '2026-11-03', value: 2 },
      ],
    });
    expect((await summary('u_agg', 'peak-seats')).value).toBe(8);
    // latest by event time, not by arrival: the 4th's 25 GB, reported before the 3rd's 30.
    expect((await summary('u_agg', 'storage-gb')).value).toBe(25);
    const symbols = await summary('u_agg', 'active-symbols');
    expect(symbols.value).toBe(3); // distinct over the range, not the sum of the days (2 + 2)
    expect(symbols.days).toEqual([
      { date: '2026-11-02', value: 2 },
      { date: '2026-11-03', value: 2 },
    ]);
    const oneDay = await summary('u_agg', 'api-calls', '&from=2026-11-03T00:00:00Z&to=2026-11-04T00:00:00Z');
    expect(oneDay.value).toBe(1);
  });

  it('counts an event in the period its timestamp falls in, and refuses events of a period closed beyond its grace', async () => {
    const base = { customerId: 'u_bound' };
    const response = await report({
      events: [
        event({ ...base, quantity: 1, timestamp: '2026-10-31T23:59:59.999Z' }), // previous period, closed long ago
        event({ ...base, quantity: 2, timestamp: '2026-11-01T00:00:00Z' }), // first instant of the period
        event({ ...base, quantity: 4, timestamp: '2026-11-15T12:04:00Z' }), // ahead, within the clock skew
      ],
    });
    expect(
      response
        .json()
        .results.map((result: { reason?: string; status: string }) => result.reason ?? result.status),
    ).toEqual(['timestamp_too_old', 'accepted', 'accepted']);
    expect((await summary('u_bound', 'api-calls')).value).toBe(6);

    // At the period's end the next period has not started for the engine yet: events of the last
    // instants are still accepted within the grace window, and counted in the period they belong to.
    now = new Date('2026-12-01T00:30:00Z');
    try {
      const late = await report(event({ ...base, quantity: 8, timestamp: '2026-11-30T23:59:59Z' }));
      expect(late.statusCode).toBe(201);
      const next = await report(event({ ...base, quantity: 16, timestamp: '2026-12-01T00:00:00Z' }));
      expect(next.statusCode).toBe(201);
      expect(
        (await summary('u_bound', 'api-calls', '&from=2026-11-01T00:00:00Z&to=2026-12-01T00:00:00Z')).value,
      ).toBe(14);
      expect(
        (await summary('u_bound', 'api-calls', '&from=2026-12-01T00:00:00Z&to=2027-01-01T00:00:00Z')).value,
      ).toBe(16);
    } finally {
      now = new Date('2026-11-15T12:00:00Z');
    }
  });

  it('emits billing.usage.threshold_reached once per alert and period', async () => {
    const create = (body: Record<string, unknown>) =>
      t.inject({ method: 'POST', url: '/v1/admin/usage-alerts', headers: t.as(ADMIN), payload: body });
    const eighty = await create({
      customerId: 'u_alert',
      featureId: 'api-calls',
      kind: 'percent_of_allowance',
      threshold: 80,
    });
    expect(eighty.statusCode).toBe(201);
    const full = await create({ featureId: 'api-calls', kind: 'percent_of_allowance', threshold: 100 }); // everyone
    expect(full.statusCode).toBe(201);
    expect((await create({ featureId: 'dark-mode', kind: 'quantity', threshold: 1 })).statusCode).toBe(422);
    const alertEvents = async () =>
      (
        await t.dataSource.query(
          `SELECT envelope FROM platform.outbox_events WHERE type = 'billing.usage.threshold_reached' AND subject = $1 ORDER BY position`,
          [customers.u_alert],
        )
      ).map((row: { envelope: { data: Record<string, unknown> } }) => row.envelope.data);

    await report(event({ customerId: 'u_alert', quantity: 700 }));
    expect(await alertEvents()).toEqual([]);
    // Two racing batches cross 80% together: one event.
    await Promise.all([
      report(event({ customerId: 'u_alert', quantity: 60 })),
      report(event({ customerId: 'u_alert', quantity: 60 })),
    ]);
    await report(event({ customerId: 'u_alert', quantity: 10 }));
    expect(await alertEvents()).toEqual([
      {
        alertId: eighty.json().id,
        customerId: customers.u_alert,
        userId: 'u_alert',
        featureId: 'api-calls',
        kind: 'percent_of_allowance',
        threshold: 80,
        thresholdQuantity: 800,
        amount: null,
        currency: null,
        used: expect.any(Number),
        limit: 1000,
        periodStart: PERIOD_START.toISOString(),
        periodEnd: PERIOD_END.toISOString(),
      },
    ]);
    await report(event({ customerId: 'u_alert', quantity: 300 }));
    await report(event({ customerId: 'u_alert', quantity: 300 }));
    const events = await alertEvents();
    expect(events.map((data: Record<string, unknown>) => data.threshold)).toEqual([80, 100]);
    expect(events[1]).toMatchObject({ alertId: full.json().id, used: 1130, thresholdQuantity: 1000 }); // crossed by the first 300
    const { violations } = await outboxSchemaViolations(t);
    expect(violations).toEqual([]);
    const audited = await t.dataSource.query(
      `SELECT count(*)::int AS n FROM platform.audit_log WHERE action = 'usage_alert.created'`,
    );
    expect(audited[0].n).toBe(2);
  });

  it('fires an alert from the sweep when the process that stored the usage died before evaluating it', async () => {
    customers.u_crash = await insertCustomer(t, 'u_crash');
    await insertSubscription(t, {
      customerId: customers.u_crash,
      userId: 'u_crash',
      productId: planId,
      status: 'active',
      start: PERIOD_START,
      end: PERIOD_END,
    });
    const alert = await t.inject({
      method: 'POST',
      url: '/v1/admin/usage-alerts',
      headers: t.as(ADMIN),
      payload: { customerId: 'u_crash', featureId: 'api-calls', kind: 'quantity', threshold: 50 },
    });
    expect(alert.statusCode).toBe(201);
    const fired = async () =>
      (
        await t.dataSource.query(
          `SELECT envelope FROM platform.outbox_events WHERE type = 'billing.usage.threshold_reached' AND subject = $1`,
          [customers.u_crash],
        )
      ).filter(
        (row: { envelope: { data: { alertId: string } } }) => row.envelope.data.alertId === alert.json().id,
      );
    const pending = () =>
      t.dataSource.query('SELECT feature_id FROM billing.usage_alert_pending WHERE customer_id = $1', [
        customers.u_crash,
      ]);
    const alerts = t.app.get(UsageAlertsService);

    // Stored, then the process "dies": evaluation never happens, the mark stays.
    jest.spyOn(alerts, 'evaluate').mockRejectedValueOnce(new Error('process died'));
    expect((await report(event({ customerId: 'u_crash', quantity: 60 }))).statusCode).toBe(201);
    expect(await fired()).toEqual([]);
    expect(await pending()).toEqual([{ feature_id: 'api-calls' }]);

    // Too recent for the sweep (its batch may still be evaluating), then old enough.
    expect(await alerts.sweepPending()).toBe(0);
    expect(await alerts.sweepPending({ olderThanMs: 0 })).toBe(1);
    expect(await fired()).toHaveLength(1);
    expect(await pending()).toEqual([]);
    expect(await alerts.sweepPending({ olderThanMs: 0 })).toBe(0);

    // The usual path clears its own mark once evaluated; the alert fired once this period.
    expect((await report(event({ customerId: 'u_crash', quantity: 5 }))).statusCode).toBe(201);
    expect(await pending()).toEqual([]);
    expect(await fired()).toHaveLength(1);
  });
  it('lets the web app read its own summary, and no one else', async () => {
    await report(event({ customerId: 'u_main', quantity: 1 }));
    const own = await t.inject({
      method: 'GET',
      url: '/v1/usage/summary?featureId=api-calls',
      headers: t.as({ sub: 'u_main' }),
    });
    expect(own.statusCode).toBe(200);
    expect(own.json().customerId).toBe(customers.u_main);
    const other = await t.inject({
      method: 'GET',
      url: `/v1/usage/summary?featureId=api-calls&customerId=${customers.u_agg}`,
      headers: t.as({ sub: 'u_main' }),
    });
    expect(other.statusCode).toBe(404);
    const stranger = await t.inject({
      method: 'GET',
      url: '/v1/usage/summary?featureId=api-calls',
      headers: t.as({ sub: 'u_none' }),
    });
    expect(stranger.statusCode).toBe(404);
    const staff = await t.inject({
      method: 'GET',
      url: `/v1/usage/summary?featureId=api-calls&customerId=u_agg`,
      headers: t.as({ sub: 'staff', roles: ['support'] }),
    });
    expect(staff.json().value).toBe(13);
    const bad = await t.inject({
      method: 'GET',
      url: `/v1/usage/summary?featureId=api-calls&customerId=u_agg&from=2026-11-05T00:00:00Z&to=2026-11-01T00:00:00Z`,
      headers: t.as({ sub: 'staff', roles: ['support'] }),
    });
    expect(bad.statusCode).toBe(400);
  });

  it('prices usage in arrears through the UsageCharges port: graduated tiers above the allowance, one query set for many periods', async () => {
    const graduated = {
      currency: 'USD',
      model: 'graduated',
      tiers: [
        { upTo: 500, unitAmount: 10 },
        { upTo: null, unitAmount: 5, flatAmount: 100 },
      ],
    };
    // Usage prices take effect from their time: this one is in force from the period's start.
    const clockAt = now;
    now = PERIOD_START;
    await grantToPlan(t, planId, 'api-calls', { limit: 1000, prices: [graduated] });
    now = clockAt;
    await report({
      events: [
        event({ customerId: 'u_bill', quantity: 1200, timestamp: '2026-11-03T00:00:00Z' }),
        event({ customerId: 'u_bill', quantity: 600, timestamp: '2026-11-04T00:00:00Z' }),
      ],
    });
    const [subscription] = await t.dataSource.query(
      'SELECT id FROM billing.subscriptions WHERE user_id = $1',
      ['u_bill'],
    );
    const periods = ['u_bill', 'u_main'].map((user) => ({
      subscriptionId: user === 'u_bill' ? subscription.id : 'sub_other',
      customerId: customers[user],
      productId: planId,
      currency: 'USD',
      periodStart: PERIOD_START,
      periodEnd: PERIOD_END,
    }));
    const lines = await t.app.get(UsageCharges).linesFor(t.dataSource.manager, periods);
    // 1,800 calls, 1,000 included: 800 billed = 500 × 0.10 + 300 × 0.05 + 1.00 flat = 50 + 15 + 1 = $66.
    expect(lines.get(subscription.id)).toEqual([
      {
        featureId: 'api-calls',
        productId: planId,
        description: 'API calls: 1800 calls, 1000 included, 800 billed',
        quantity: 800,
        unitAmount: 8,
        amount: 6600,
        periodStart: PERIOD_START,
        periodEnd: PERIOD_END,
      },
    ]);
    // u_main used less than its allowance: a zero line that shows the included usage.
    expect(lines.get('sub_other')).toEqual([expect.objectContaining({ quantity: 0, amount: 0 })]);
    const plan = await t.inject({
      method: 'GET',
      url: `/v1/admin/plans/${planId}/features`,
      headers: t.as(ADMIN),
    });
    expect(
      plan.json().data.find((grant: { featureId: string }) => grant.featureId === 'api-calls').prices,
    ).toEqual([graduated]);
    // A price change applies from its time, never to usage that accrued before it.
    await grantToPlan(t, planId, 'api-calls', {
      limit: 1000,
      prices: [{ currency: 'USD', model: 'per_unit', unitAmount: 1_000 }],
    });
    const repriced = await t.app.get(UsageCharges).linesFor(t.dataSource.manager, periods);
    expect(repriced.get(subscription.id)).toEqual([
      expect.objectContaining({ amount: 6600, quantity: 800, periodStart: PERIOD_START, periodEnd: now }),
    ]);
    const versions = await t.dataSource.query(
      `SELECT effective_from, effective_to FROM billing.usage_prices
        WHERE product_id = $1 AND feature_id = 'api-calls' ORDER BY effective_from`,
      [planId],
    );
    expect(versions).toEqual([
      { effective_from: PERIOD_START, effective_to: now },
      { effective_from: now, effective_to: null },
    ]);
    await grantToPlan(t, planId, 'api-calls', { limit: 1000, prices: [graduated] });
  });

  it("fires an amount alert when the period's usage charges reach it, priced by the plan's usage price", async () => {
    // After the pricing test: api-calls is priced in graduated tiers above 1,000 included calls, and
    // u_bill has used 1,800 ($66.00 of usage charges).
    const alert = await t.inject({
      method: 'POST',
      url: '/v1/admin/usage-alerts',
      headers: t.as(ADMIN),
      payload: { customerId: 'u_bill', featureId: 'api-calls', kind: 'amount', threshold: 6_605 },
    });
    expect(alert.statusCode).toBe(201);
    const fired = async () =>
      (
        await t.dataSource.query(
          `SELECT envelope FROM platform.outbox_events
            WHERE type = 'billing.usage.threshold_reached' AND subject = $1 AND envelope -> 'data' ->> 'kind' = 'amount'`,
          [customers.u_bill],
        )
      ).map((row: { envelope: { data: Record<string, unknown> } }) => row.envelope.data);
    expect(await fired()).toEqual([]); // created below the threshold: nothing until usage grows
    await report(event({ customerId: 'u_bill', quantity: 1, timestamp: '2026-11-15T11:00:00Z' }));
    expect((await summary('u_bill', 'api-calls')).value).toBe(1801);
    expect(await fired()).toEqual([
      expect.objectContaining({
        alertId: alert.json().id,
        kind: 'amount',
        threshold: 6_605,
        thresholdQuantity: null,
        amount: 6_605, // 801 billed: 500 × $0.10 + 301 × $0.05 + $1.00
        currency: 'USD',
        used: 1801,
      }),
    ]);
    await report(event({ customerId: 'u_bill', quantity: 5, timestamp: '2026-11-15T11:00:00Z' }));
    expect(await fired()).toHaveLength(1);
    const { violations } = await outboxSchemaViolations(t);
    expect(violations).toEqual([]);
  });

  it('races streams of batches that mark the same customers for alerts and clear their marks, without a deadlock', async () => {
    // A quantity alert on `orders` for everyone, never reached: every batch marks its customers in
    // its statement and clears its marks after evaluating them, while other batches mark the same ones.
    const alert = await t.inject({
      method: 'POST',
      url: '/v1/admin/usage-alerts',
      headers: t.as(ADMIN),
      payload: { featureId: 'orders', kind: 'quantity', threshold: 1_000_000_000 },
    });
    expect(alert.statusCode).toBe(201);
    const users = Array.from({ length: 300 }, (_, index) => `u_mark_${index}`);
    for (const user of users) await insertCustomer(t, user);
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const statuses: number[] = [];
    // A clearing that loses a deadlock is only logged (the sweep evaluates its marks later): count them.
    const alerts = t.app.get(UsageAlertsService);
    const clearPending = alerts.clearPending.bind(alerts);
    const failedClearings: string[] = [];
    const spy = jest.spyOn(alerts, 'clearPending').mockImplementation(async (batchId: string) => {
      try {
        await clearPending(batchId);
      } catch (error) {
        failedClearings.push((error as Error).message);
        throw error;
      }
    });
    // Streams, not rounds: one stream's clearing overlaps the others' statements.
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        for (let sent = 0; sent < 16; sent += 1) {
          const events = Array.from({ length: 400 }, () =>
            event({
              customerId: users[Math.floor(random() * users.length)],
              featureId: 'orders',
              quantity: 1,
              timestamp: '2026-11-15T11:30:00Z',
            }),
          );
          statuses.push((await report({ events })).statusCode);
        }
      }),
    );
    spy.mockRestore();
    expect(statuses).toEqual(Array(64).fill(200));
    expect(failedClearings).toEqual([]);
    const [{ n }] = await t.dataSource.query(
      `SELECT count(*)::int AS n FROM billing.usage_alert_pending WHERE feature_id = 'orders'`,
    );
    expect(n).toBe(0);
  });
});
