import type { LookupFunction } from 'node:net';
import { Pool } from 'undici';
import { RESPONSE_LOG_LIMIT, RESPONSE_READ_LIMIT_BYTES, WebhookPostResult } from './webhook-http';
import { checkEndpointUrl, OutboundNetworkPolicy, resolveAllowedAddresses } from './url-policy';

/** Requests written ahead on an endpoint's connection before the first answer comes back. */
export const PIPELINING = 32;

interface EndpointPool {
  /** Origin and pinned address the pool was built for: a change (URL edit, new DNS answer) replaces it. */
  key: string;
  pool: Pool;
}

export interface PreparedEndpoint {
  pool: Pool;
  path: string;
}

/**
 * One keep-alive connection per endpoint (undici Pool, connections: 1), pinned to the address that
 * passed the network policy. Requests to an endpoint are written on that one connection in the
 * order they are sent, up to PIPELINING ahead of their answers, so the endpoint reads them in
 * that order. They are marked idempotent (a receiver deduplicates by webhook-id), so a request
 * written on a connection that closed before answering is written again on the next connection, in
 * the same order, instead of failing.
 */
export class WebhookPools {
  private readonly pools = new Map<string, EndpointPool>();

  /** Checks the URL against the policy and returns the endpoint's pool, or the reason it may not be called. */
  async prepare(
    endpointId: string,
    rawUrl: string,
    policy: OutboundNetworkPolicy,
  ): Promise<PreparedEndpoint | { refused: string }> {
    let url: URL;
    let pinned: { address: string; family: number };
    try {
      url = checkEndpointUrl(rawUrl, policy);
      [pinned] = await resolveAllowedAddresses(url.hostname, policy);
    } catch (error) {
      return { refused: (error as Error).message };
    }
    const key = `${url.origin}|${pinned.address}`;
    const existing = this.pools.get(endpointId);
    if (existing?.key === key) return { pool: existing.pool, path: `${url.pathname}${url.search}` };
    if (existing) void existing.pool.close().catch(() => undefined);
    const lookup: LookupFunction = (_hostname, lookupOptions, callback) => {
      if ((lookupOptions as { all?: boolean }).all) callback(null, [pinned]);
      else callback(null, pinned.address, pinned.family);
    };
    const pool = new Pool(url.origin, {
      connections: 1,
      pipelining: PIPELINING,
      connect: { lookup },
      keepAliveTimeout: 30_000,
    });
    this.pools.set(endpointId, { key, pool });
    return { pool, path: `${url.pathname}${url.search}` };
  }

  /** POSTs without following redirects, one deadline for the whole exchange, at most RESPONSE_READ_LIMIT_BYTES read. */
  async post(
    endpoint: PreparedEndpoint,
    headers: Record<string, string>,
    body: string,
    timeoutMs: number,
  ): Promise<WebhookPostResult> {
    const started = process.hrtime.bigint();
    const elapsed = (): number => Number((process.hrtime.bigint() - started) / 1_000_000n);
    const signal = AbortSignal.timeout(timeoutMs);
    try {
      const response = await endpoint.pool.request({
        method: 'POST',
        path: endpoint.path,
        headers: {
          ...headers,
          'content-type': 'application/json',
          'user-agent': 'astrix-webhooks/1',
        },
        body,
        idempotent: true,
        blocking: false,
        signal,
      });
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of response.body as AsyncIterable<Buffer>) {
        chunks.push(chunk.subarray(0, RESPONSE_READ_LIMIT_BYTES - size));
        size += chunk.length;
        if (size >= RESPONSE_READ_LIMIT_BYTES) {
          response.body.destroy();
          break;
        }
      }
      return {
        statusCode: response.statusCode,
        response: Buffer.concat(chunks).toString('utf8').slice(0, RESPONSE_LOG_LIMIT),
        error: null,
        durationMs: elapsed(),
      };
    } catch (error) {
      const message = signal.aborted ? `timed out after ${timeoutMs} ms` : (error as Error).message;
      return { statusCode: null, response: null, error: message, durationMs: elapsed() };
    }
  }

  async close(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((entry) => entry.pool.destroy().catch(() => undefined)));
  }
}
