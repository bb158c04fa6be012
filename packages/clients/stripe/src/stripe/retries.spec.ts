import { randomUUID } from 'node:crypto';
import { ProcessorUnavailableError, RateLimitedError } from '../port/errors';
import { type Harness, startHarness } from '../testing/harness';
import { waitFor } from '../testing/wait-for';

// Each retry by the SDK waits its built-in 0.5–1 s backoff, so these tests keep retries few.

let harness: Harness;

beforeAll(async () => {
  harness = await startHarness();
});
afterEach(async () => {
  harness.fake.controls.clearFaults();
  await harness.reset();
});
afterAll(() => harness.close());

const key = (): string => `retry-${randomUUID()}`;

function customerPosts(): { idempotencyKey: string | null; status: number; replayed: boolean }[] {
  return harness.fake.controls
    .requestLog()
    .filter((entry) => entry.method === 'POST' && entry.path === '/v1/customers')
    .map(({ idempotencyKey, status, replayed }) => ({ idempotencyKey, status, replayed }));
}

describe('server errors (retried by the SDK)', () => {
  it('retries a 500 whose work was done, and the idempotency key keeps it to one customer', async () => {
    const processor = harness.processorWith({ maxRetries: 2 });
    const idempotencyKey = key();
    harness.fake.controls.injectFault({
      kind: 'server_error',
      path: '/v1/customers',
      phase: 'after_processing',
    });

    const customer = await processor.createCustomer({ email: 'retry@astrix.test' }, idempotencyKey);

    expect(harness.fake.state.customers.all().map(({ id }) => id)).toEqual([customer.id]);
    expect(customerPosts()).toEqual([
      { idempotencyKey, status: 500, replayed: false },
      { idempotencyKey, status: 200, replayed: true },
    ]);
  });

  it('gives up with ProcessorUnavailableError when every attempt fails', async () => {
    const processor = harness.processorWith({ maxRetries: 1 });
    harness.fake.controls.injectFault({ kind: 'server_error', times: 'always', path: '/v1/customers' });

    await expect(processor.createCustomer({ email: 'down@astrix.test' }, key())).rejects.toBeInstanceOf(
      ProcessorUnavailableError,
    );
    expect(customerPosts().map(({ status }) => status)).toEqual([500, 500]);
    expect(harness.fake.state.customers.all()).toHaveLength(0);
  });
});

describe('timeouts (retried by the SDK)', () => {
  it('retries a request that timed out, and the idempotency key keeps it to one customer', async () => {
    const processor = harness.processorWith({ maxRetries: 2, timeoutMs: 200 });
    const idempotencyKey = key();
    harness.fake.controls.injectFault({ kind: 'hang', delayMs: 400, path: '/v1/customers', method: 'POST' });

    const customer = await processor.createCustomer({ email: 'slow@astrix.test' }, idempotencyKey);
    await waitFor(() => customerPosts().every(({ status }) => status !== 0));

    // The held original and the retry both ran to completion; whichever came second was a replay.
    const posts = customerPosts();
    expect(harness.fake.state.customers.all().map(({ id }) => id)).toEqual([customer.id]);
    expect(posts).toHaveLength(2);
    expect(posts.every((post) => post.idempotencyKey === idempotencyKey && post.status === 200)).toBe(true);
    expect(posts.filter((post) => post.replayed)).toHaveLength(1);
  });

  it('gives up with ProcessorUnavailableError when every attempt times out', async () => {
    const processor = harness.processorWith({ maxRetries: 1, timeoutMs: 150 });
    harness.fake.controls.injectFault({
      kind: 'hang',
      times: 'always',
      delayMs: 60_000,
      path: '/v1/customers/',
    });

    const error: unknown = await processor.getCustomer('cus_slow').catch((reason: unknown) => reason);

    expect(error).toBeInstanceOf(ProcessorUnavailableError);
    expect(error).toMatchObject({ retryable: true });
    expect(
      harness.fake.controls.requestLog().filter(({ path }) => path === '/v1/customers/cus_slow'),
    ).toHaveLength(2);
  });
});

describe('rate limits (retried by the adapter)', () => {
  it('retries a 429 and succeeds', async () => {
    const processor = harness.processorWith({ rateLimitRetries: 2 });
    harness.fake.controls.injectFault({ kind: 'rate_limit', path: '/v1/customers' });

    const customer = await processor.createCustomer({ email: 'busy@astrix.test' }, key());

    expect(customer.email).toBe('busy@astrix.test');
    expect(customerPosts().map(({ status }) => status)).toEqual([429, 200]);
  });

  it('surfaces RateLimitedError once its retries are spent', async () => {
    const processor = harness.processorWith({ rateLimitRetries: 1 });
    harness.fake.controls.injectFault({ kind: 'rate_limit', times: 'always', path: '/v1/customers' });

    await expect(processor.createCustomer({ email: 'throttled@astrix.test' }, key())).rejects.toBeInstanceOf(
      RateLimitedError,
    );
    expect(customerPosts().map(({ status }) => status)).toEqual([429, 429]);
  });
});
