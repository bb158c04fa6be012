import { ProbeCounter, ProbeModule } from '../support/probe.module';
import { startTestApp, TestApp } from '../support/test-app';

describe('Idempotency-Key on POST', () => {
  let t: TestApp;
  let counter: ProbeCounter;
  beforeAll(async () => {
    t = await startTestApp({ imports: [ProbeModule] });
    counter = t.app.get(ProbeCounter);
  });
  afterAll(() => t.close());

  const echo = (key: string | undefined, body: Record<string, unknown>, sub = 'user_idem') =>
    t.inject({
      method: 'POST',
      url: '/v1/test-probe/echo',
      headers: { ...t.as({ sub }), ...(key ? { 'idempotency-key': key } : {}) },
      payload: body,
    });

  it('replays the stored response for the same key and body, without running the handler again', async () => {
    const first = await echo('key-replay', { value: 'a', amount: 100 });
    expect(first.statusCode).toBe(201);
    const executions = counter.executions;
    const replay = await echo('key-replay', { amount: 100, value: 'a' });
    expect(replay.statusCode).toBe(201);
    expect(replay.json()).toEqual(first.json());
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(counter.executions).toBe(executions);
  });

  it('refuses the same key with a different body (422) and changes nothing', async () => {
    await echo('key-mismatch', { value: 'a', amount: 100 });
    const executions = counter.executions;
    const mismatch = await echo('key-mismatch', { value: 'a', amount: 101 });
    expect(mismatch.statusCode).toBe(422);
    expect(mismatch.json().error.code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(counter.executions).toBe(executions);
  });

  it('answers a concurrent duplicate with 409 while the first is in flight', async () => {
    const [first, second] = await Promise.all([
      echo('key-race', { value: 'slow', amount: 1, delayMs: 400 }),
      new Promise((resolve) => setTimeout(resolve, 100)).then(() =>
        echo('key-race', { value: 'slow', amount: 1, delayMs: 400 }),
      ),
    ]);
    expect(first.statusCode).toBe(201);
    expect(second.statusCode).toBe(409);
    expect(second.json().error.code).toBe('IDEMPOTENCY_KEY_IN_USE');
    const after = await echo('key-race', { value: 'slow', amount: 1, delayMs: 400 });
    expect(after.json()).toEqual(first.json());
  });

  it('lets many simultaneous duplicates run the handler exactly once', async () => {
    const before = counter.executions;
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => echo('key-stampede', { value: 'x', amount: 5, delayMs: 50 })),
    );
    const statuses = responses.map((response) => response.statusCode);
    expect(statuses.filter((status) => status === 201).length).toBeGreaterThanOrEqual(1);
    expect(statuses.every((status) => status === 201 || status === 409)).toBe(true);
    expect(counter.executions).toBe(before + 1);
  });

  it('stores nothing for a failed request, so the same key can be retried', async () => {
    const failed = await echo('key-retry', { value: 'a', amount: 1, fail: true });
    expect(failed.statusCode).toBe(400);
    const invalid = await echo('key-retry', { value: 'a', amount: -1 });
    expect(invalid.statusCode).toBe(400);
    const retried = await echo('key-retry', { value: 'a', amount: 1 });
    expect(retried.statusCode).toBe(201);
    expect(retried.headers['idempotent-replayed']).toBeUndefined();
  });

  it('scopes keys per caller: two users may use the same key', async () => {
    const alice = await echo('shared-key', { value: 'alice', amount: 1 }, 'user_alice');
    const bob = await echo('shared-key', { value: 'bob', amount: 2 }, 'user_bob');
    expect(alice.statusCode).toBe(201);
    expect(bob.statusCode).toBe(201);
    expect(bob.json().value).toBe('bob');
  });

  it('refuses malformed keys', async () => {
    const tooLong = await echo('k'.repeat(256), { value: 'a', amount: 1 });
    expect(tooLong.statusCode).toBe(400);
    expect(tooLong.json().error.details[0].field).toBe('Idempotency-Key');
  });

  it('works on real endpoints: one API key for a replayed creation (the raw key is not replayed: 409)', async () => {
    const create = () =>
      t.inject({
        method: 'POST',
        url: '/v1/admin/api-keys',
        headers: { ...t.as({ sub: 'admin_1', roles: ['admin'] }), 'idempotency-key': 'create-key-1' },
        payload: { name: 'idempotent-service', scopes: ['usage:write'] },
      });
    const first = await create();
    const second = await create();
    expect(first.statusCode).toBe(201);
    // The first response carried the raw key, which is never stored, so it cannot be replayed.
    expect(second.statusCode).toBe(409);
    expect(second.json().error.code).toBe('SECRET_ALREADY_SHOWN');
    const rows = await t.dataSource.query(
      `SELECT count(*)::int AS n FROM platform.api_keys WHERE name = 'idempotent-service'`,
    );
    expect(rows[0].n).toBe(1);
  });
});
