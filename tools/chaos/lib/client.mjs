// An HTTP client that behaves like a careful real one: every POST carries an Idempotency-Key, and a
// network error, 5xx, 429 or a duplicate still running (409) is retried with the same key and body.
import { createHmac, randomUUID } from 'node:crypto';
import { sleep } from './infra.mjs';

/**
 * What a careful client retries: no answer, a 5xx, our rate limit, a duplicate still running. Not a
 * business refusal that happens to use one of those statuses (the processor refusing a refund,
 * the fraud rules' purchase limit): repeating those changes nothing.
 */
function isRetryable(status, code) {
  if (status === 409) return code === 'IDEMPOTENCY_KEY_IN_USE';
  if (status === 429) return code === 'RATE_LIMITED';
  if (status === 502) return code !== 'PROCESSOR_REJECTED';
  return status >= 500;
}

/** An HS256 JWT, as the identity service (or `pnpm cli dev-token`) mints them. */
export function mintToken(secret, { sub, roles = [], email, ttlSeconds = 6 * 3600 }) {
  const encode = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const head = encode({ alg: 'HS256', typ: 'JWT' });
  const body = encode({ sub, roles, ...(email ? { email } : {}), iat: now, exp: now + ttlSeconds });
  const signature = createHmac('sha256', secret).update(`${head}.${body}`).digest('base64url');
  return `${head}.${body}.${signature}`;
}

export class HttpClient {
  /** @param {{ baseUrl: string, budgetMs?: number, stats?: Map<string, {ok:number, errors:number, retries:number}> }} options */
  constructor({ baseUrl, budgetMs = 120_000, stats = new Map() }) {
    this.baseUrl = baseUrl;
    this.budgetMs = budgetMs;
    this.stats = stats;
  }

  /**
   * @returns {Promise<{status:number, body:any, attempts:number, key:string|null}>} the final answer;
   *   status 0 when the budget ran out without one.
   */
  async call(method, path, { token, apiKey, body, key, route, retry = true, timeoutMs = 20_000 } = {}) {
    const idempotencyKey = method === 'POST' ? (key ?? randomUUID()) : null;
    const headers = { accept: 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    if (apiKey) headers.authorization = `Bearer ${apiKey}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (idempotencyKey) headers['idempotency-key'] = idempotencyKey;
    const name =
      route ??
      `${method} ${path.replace(/\/(cust|chk|chg|inv|sub|acc|po|cs|ch|pi|prd|we|re|ref|du|dp|evt)_[\w]+/g, '/:id').split('?')[0]}`;
    const stat = this.stats.get(name) ?? { ok: 0, errors: 0, retries: 0, latencies: [] };
    this.stats.set(name, stat);
    const deadline = Date.now() + this.budgetMs;
    // A key held by a request whose process died stays "in use" for minutes (the API's abandoned-claim
    // bound): a client gives up on it sooner and reports it, rather than wait that long.
    const inUseDeadline = Date.now() + Math.min(this.budgetMs, 20_000);
    let attempts = 0;
    let last = { status: 0, body: null };
    for (;;) {
      attempts++;
      const started = Date.now();
      try {
        const response = await fetch(`${this.baseUrl}${path}`, {
          method,
          headers,
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(timeoutMs),
        });
        const text = await response.text();
        let parsed = text;
        try {
          parsed = text === '' ? null : JSON.parse(text);
        } catch {
          // not JSON
        }
        last = { status: response.status, body: parsed };
        if (stat.latencies.length < 20_000) stat.latencies.push(Date.now() - started);
        if (!isRetryable(response.status, parsed?.error?.code)) {
          if (response.status >= 500) stat.errors++;
          else stat.ok++;
          return { ...last, attempts, key: idempotencyKey };
        }
      } catch (error) {
        last = { status: 0, body: { network: String(error?.cause?.code ?? error?.name ?? error) } };
      }
      stat.errors++;
      const inUse = last.status === 409;
      if (!retry || Date.now() > deadline || (inUse && Date.now() > inUseDeadline)) {
        return { ...last, attempts, key: idempotencyKey };
      }
      stat.retries++;
      await sleep(Math.min(3_000, 150 * 2 ** Math.min(attempts, 5)));
    }
  }
}
