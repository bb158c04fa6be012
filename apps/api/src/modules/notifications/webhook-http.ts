import { request as httpRequest, IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { checkEndpointUrl, OutboundNetworkPolicy, resolveAllowedAddresses } from './url-policy';

/** How much of an answer is read at all (the rest is discarded) and how much is kept in the log. */
export const RESPONSE_READ_LIMIT_BYTES = 64 * 1024;
export const RESPONSE_LOG_LIMIT = 1024;

export interface WebhookPostResult {
  statusCode: number | null;
  response: string | null;
  error: string | null;
  durationMs: number;
}

/**
 * POSTs a webhook without following redirects (a 3xx is a failed attempt), with one deadline for
 * the whole exchange, at most RESPONSE_READ_LIMIT_BYTES read, and the connection pinned to the
 * address that passed the network policy (no second DNS answer can sneak in).
 */
export async function postWebhook(
  rawUrl: string,
  headers: Record<string, string>,
  body: string,
  options: OutboundNetworkPolicy & { timeoutMs: number },
): Promise<WebhookPostResult> {
  const started = process.hrtime.bigint();
  const elapsed = (): number => Number((process.hrtime.bigint() - started) / 1_000_000n);
  let addresses: Array<{ address: string; family: number }>;
  let url: URL;
  try {
    url = checkEndpointUrl(rawUrl, options);
    addresses = await resolveAllowedAddresses(url.hostname, options);
  } catch (error) {
    return { statusCode: null, response: null, error: (error as Error).message, durationMs: elapsed() };
  }
  const [pinned] = addresses;
  const lookup: LookupFunction = (_hostname, lookupOptions, callback) => {
    if ((lookupOptions as { all?: boolean }).all) callback(null, [pinned]);
    else callback(null, pinned.address, pinned.family);
  };
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<WebhookPostResult>((resolve) => {
    let settled = false;
    const finish = (result: Omit<WebhookPostResult, 'durationMs'>): void => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      resolve({ ...result, durationMs: elapsed() });
    };
    const outgoing = send(
      url,
      {
        method: 'POST',
        lookup,
        headers: {
          ...headers,
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(body)),
          'user-agent': 'astrix-webhooks/1',
        },
      },
      (incoming: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let size = 0;
        const done = (): void =>
          finish({
            statusCode: incoming.statusCode ?? null,
            response: Buffer.concat(chunks).toString('utf8').slice(0, RESPONSE_LOG_LIMIT),
            error: null,
          });
        incoming.on('data', (chunk: Buffer) => {
          if (size < RESPONSE_READ_LIMIT_BYTES)
            chunks.push(chunk.subarray(0, RESPONSE_READ_LIMIT_BYTES - size));
          size += chunk.length;
          if (size >= RESPONSE_READ_LIMIT_BYTES) {
            done();
            incoming.destroy();
          }
        });
        incoming.on('end', done);
        incoming.on('error', done);
        incoming.on('close', done);
      },
    );
    const deadline = setTimeout(() => {
      finish({ statusCode: null, response: null, error: `timed out after ${options.timeoutMs} ms` });
      outgoing.destroy();
    }, options.timeoutMs);
    outgoing.on('error', (error) => finish({ statusCode: null, response: null, error: error.message }));
    outgoing.end(body);
  });
}
