// Faults injected at random points of the run: processes killed, Postgres and Redis restarted or
// gone for a while, a misbehaving Stripe (errors, timeouts, slow answers, lost answers) and its
// webhooks duplicated, held back (late) and released out of order.
import { sleep } from './infra.mjs';

export const FAULT_KINDS = [
  'kill_api',
  'kill_worker',
  'postgres_restart',
  'redis_restart',
  'redis_outage',
  'stripe_500',
  'stripe_timeout',
  'stripe_slow',
  'stripe_lost_response',
  'webhook_duplicate',
  'webhook_late',
];

/** "kill_api:2,redis_outage:1" or "all:3" → counts per kind. */
export function parseFaults(spec) {
  const counts = Object.fromEntries(FAULT_KINDS.map((kind) => [kind, 0]));
  for (const part of spec
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean)) {
    const [kind, count = '1'] = part.split(':');
    const n = Number(count);
    if (!Number.isInteger(n) || n < 0) throw new Error(`--faults: bad count in "${part}"`);
    if (kind === 'all') for (const name of FAULT_KINDS) counts[name] = n;
    else if (kind === 'none') continue;
    else if (!(kind in counts))
      throw new Error(`--faults: unknown fault "${kind}"; known: ${FAULT_KINDS.join(', ')}`);
    else counts[kind] = n;
  }
  return counts;
}

/**
 * @param {{ stack: any, rng: import('./operations.mjs').Random, outageMs: number, log: (entry: object) => void,
 *   probeDuringOutage: () => Promise<object> }} context
 */
export function createFaults({ stack, rng, outageMs, log, probeDuringOutage }) {
  const control = async (path, body, method = 'POST') => {
    const response = await fetch(`${stack.fakeUrl}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return response.json().catch(() => null);
  };
  const stripePaths = [
    '/v1/payment_intents',
    '/v1/refunds',
    '/v1/checkout/sessions',
    '/v1/transfers',
    '/v1/customers',
    undefined,
  ];
  let held = 0;

  const inject = {
    async kill_api() {
      const api = rng.pick(stack.apis);
      const downMs = 500 + rng.int(3_000);
      api.kill(downMs);
      return { process: api.name, downMs };
    },
    async kill_worker() {
      const downMs = 500 + rng.int(4_000);
      stack.worker.kill(downMs);
      return { process: 'worker', downMs };
    },
    async postgres_restart() {
      const downMs = 500 + rng.int(2_500);
      stack.postgres.stopImmediately();
      await sleep(downMs);
      stack.postgres.start();
      return { downMs };
    },
    async redis_restart() {
      await stack.redis.kill();
      await sleep(200);
      await stack.redis.start();
      return { downMs: 200, note: 'no persistence: queued jobs and rate-limit counters are gone' };
    },
    async redis_outage() {
      await stack.redis.kill();
      const started = Date.now();
      await sleep(Math.min(1_000, outageMs / 3));
      const probe = await probeDuringOutage();
      await sleep(Math.max(0, outageMs - (Date.now() - started)));
      await stack.redis.start();
      return { outageMs, probe };
    },
    async stripe_500() {
      const rule = { kind: 'server_error', times: 1 + rng.int(4), path: rng.pick(stripePaths) };
      await control('/__control/faults', rule);
      return rule;
    },
    async stripe_timeout() {
      // Longer than the API's STRIPE_TIMEOUT_MS (3 s): the SDK gives up and retries with the same key.
      const rule = { kind: 'hang', times: 1 + rng.int(2), delayMs: 4_000, path: rng.pick(stripePaths) };
      await control('/__control/faults', rule);
      return rule;
    },
    async stripe_slow() {
      const rule = {
        kind: 'hang',
        times: 2 + rng.int(4),
        delayMs: 800 + rng.int(1_500),
        path: rng.pick(stripePaths),
      };
      await control('/__control/faults', rule);
      return rule;
    },
    async stripe_lost_response() {
      // Stripe acts, then the answer is lost on its way back: only idempotency keys make the retry safe.
      const rule = {
        kind: 'server_error',
        times: 1 + rng.int(2),
        phase: 'after_processing',
        path: rng.pick(stripePaths),
      };
      await control('/__control/faults', rule);
      return rule;
    },
    async webhook_duplicate() {
      const count = 2 + rng.int(5);
      await control('/__control/webhooks/duplicate-next', { count });
      return { count };
    },
    async webhook_late() {
      const count = 2 + rng.int(4);
      await control('/__control/webhooks/hold-next', { count });
      held++;
      return { count, note: 'released later, reversed' };
    },
  };

  return {
    async run(kind) {
      const started = Date.now();
      try {
        const detail = await inject[kind]();
        log({ fault: kind, ...detail, ms: Date.now() - started });
      } catch (error) {
        log({ fault: kind, error: String(error), ms: Date.now() - started });
      }
    },
    /** Held webhooks go out, reversed (out of order), long after the events happened. */
    async releaseLate() {
      const answer = await control('/__control/webhooks/release', { order: 'reversed' });
      if (answer?.released) log({ fault: 'webhook_late_release', released: answer.released });
      return answer?.released ?? 0;
    },
    async clear() {
      await control('/__control/faults', undefined, 'DELETE');
      await this.releaseLate();
    },
    get heldBatches() {
      return held;
    },
  };
}
