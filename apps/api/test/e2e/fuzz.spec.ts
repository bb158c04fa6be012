import fc from 'fast-check';
import { API_KEY_SCOPES } from '@astrix/contracts';
import { type OpenApiDocument, type Operation, operationsOf } from '../support/fuzz/openapi';
import { type FuzzRequest, requestArbitrary } from '../support/fuzz/requests';
import { type BillingTestApp, startBillingTestApp } from '../support/billing';
import { seedForFuzz } from '../support/fuzz/seed';
import { issueApiKey } from '../support/test-app';

/**
 * Feeds hostile input to every operation of the app's own OpenAPI document (GET /docs/openapi.json),
 * as staff (admin), as a trader and as a service API key holding every scope, over seeded data (a
 * funded account with a purchase, a coupon, a webhook endpoint): malformed path ids, query values,
 * bodies and headers. Any 5xx the document does not declare, or a request without an answer within
 * REQUEST_TIMEOUT_MS, fails the suite, naming the route, the caller and the input. Seeded with
 * fast-check: the same seed sends the same requests (only the seeded rows' ids differ per run);
 * FUZZ_SEED=n and FUZZ_RUNS=n try others. About 5,000 requests, well under a minute.
 */
const SEED = Number(process.env.FUZZ_SEED ?? 20261206);
/** Requests per operation and caller that may call it. */
const RUNS = Number(process.env.FUZZ_RUNS ?? 20);
const REQUEST_TIMEOUT_MS = 10_000;

/** Operations not fuzzed, with the reason. */
const SKIPPED: Record<string, string> = {
  'GET /v1/billing/stream':
    'Server-Sent Events: the answer is a stream that stays open by design, so it cannot be awaited; its query is validated by StreamQuery like any other',
};

type Caller = 'staff' | 'trader' | 'service';

interface Failure {
  caller: Caller;
  route: string;
  request: FuzzRequest;
  status: number | 'timeout';
  answer: string;
}

function describeFailure(failure: Failure): string {
  const body = failure.request.payload === undefined ? '' : ` body=${failure.request.payload.slice(0, 300)}`;
  const headers = Object.keys(failure.request.headers).length
    ? ` headers=${JSON.stringify(failure.request.headers).slice(0, 200)}`
    : '';
  return `${failure.status} on ${failure.route} as ${failure.caller}: ${failure.request.method} ${failure.request.url.slice(0, 400)}${headers}${body} → ${failure.answer.slice(0, 300)}`;
}

describe('fuzz: hostile input to every documented operation never yields a 5xx or a hang', () => {
  jest.setTimeout(180_000);
  let t: BillingTestApp;
  let credentials: Record<Caller, Record<string, string>>;
  let operations: Operation[];
  let doc: OpenApiDocument;
  let realIds: string[];

  beforeAll(async () => {
    // One caller sends thousands of requests: the rate limit would answer most of them 429.
    t = await startBillingTestApp({ env: { RATE_LIMIT_PER_MINUTE: '1000000' } });
    const serviceKey = await issueApiKey(t, 'fuzz', [...API_KEY_SCOPES]);
    credentials = {
      staff: t.as({ sub: 'staff_fuzz', roles: ['admin'] }),
      trader: t.as({ sub: 'user_fuzz', roles: ['trader'] }),
      service: { authorization: `Bearer ${serviceKey}` },
    };
    realIds = await seedForFuzz(t, serviceKey, { sub: 'user_fuzz' }, credentials.staff);
    const response = await t.inject({ method: 'GET', url: '/docs/openapi.json' });
    doc = response.json() as OpenApiDocument;
    operations = operationsOf(doc);
  });
  afterAll(() => t?.close());

  it('reads the operations from the served OpenAPI document', () => {
    expect(operations.length).toBeGreaterThan(100);
    expect(operations.map((operation) => `${operation.method} ${operation.path}`)).toEqual(
      expect.arrayContaining(['GET /v1/admin/customers', 'POST /v1/usage/events', ...Object.keys(SKIPPED)]),
    );
  });

  it('answers every request with a status below 500, in time', async () => {
    const fuzzed = operations.filter((operation) => !SKIPPED[`${operation.method} ${operation.path}`]);
    const failures: Failure[] = [];
    const statuses = new Map<number, number>();
    let requests = 0;
    const send = async (
      caller: Caller,
      operation: Operation,
      request: FuzzRequest,
    ): Promise<number | 'timeout'> => {
      const route = `${operation.method} ${operation.path}`;
      requests += 1;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), REQUEST_TIMEOUT_MS);
      });
      const answer = await Promise.race([
        t.inject({
          method: request.method,
          url: request.url,
          headers: {
            ...request.headers,
            ...credentials[caller],
            ...(request.payload === undefined ? {} : { 'content-type': 'application/json' }),
          },
          ...(request.payload === undefined ? {} : { payload: request.payload }),
        }),
        timeout,
      ]);
      clearTimeout(timer);
      if (answer === 'timeout') {
        failures.push({
          caller,
          route,
          request,
          status: 'timeout',
          answer: `no answer in ${REQUEST_TIMEOUT_MS} ms`,
        });
        return 'timeout';
      }
      statuses.set(answer.statusCode, (statuses.get(answer.statusCode) ?? 0) + 1);
      // A documented 5xx (the readiness check's 503 while a dependency is down) is the contract.
      if (answer.statusCode >= 500 && !operation.statuses.includes(answer.statusCode)) {
        failures.push({ caller, route, request, status: answer.statusCode, answer: answer.body });
      }
      return answer.statusCode;
    };
    for (const [index, operation] of fuzzed.entries()) {
      for (const [callerIndex, caller] of (['staff', 'trader', 'service'] as const).entries()) {
        const samples = fc.sample(requestArbitrary(operation, doc, realIds), {
          seed: SEED + index * 3 + callerIndex,
          numRuns: RUNS,
        });
        // The first request tells whether this caller may call the operation at all; a caller that
        // is refused (401/403) gets no more: the guard answers before any input is read.
        const first = await send(caller, operation, samples[0]);
        if (first === 401 || first === 403) continue;
        for (const request of samples.slice(1)) await send(caller, operation, request);
      }
    }
    const byStatus = [...statuses.entries()]
      .sort(([a], [b]) => a - b)
      .map(([status, count]) => `${status}:${count}`)
      .join(' ');
    console.log(
      `fuzz summary: seed ${SEED}, runs ${RUNS}, ${fuzzed.length} operations fuzzed (${Object.keys(SKIPPED).length} skipped), ${requests} requests, ${failures.length} 5xx or hangs; statuses ${byStatus}`,
    );
    expect(failures.map(describeFailure)).toEqual([]);
  });
});
