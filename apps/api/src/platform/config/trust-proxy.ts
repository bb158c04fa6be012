import { isIP } from 'node:net';

/**
 * Which proxies in front of the API to believe (TRUST_PROXY), as Fastify's `trustProxy` takes it:
 * - false (the default): nobody; the caller is the socket's peer, X-Forwarded-For and edge headers
 *   (cf-ipcountry) are the client's own words and ignored;
 * - a hop count n: the n nearest hops are proxies;
 * - addresses and CIDR ranges of the proxies (loopback, linklocal and uniquelocal name the usual ranges).
 */
export type TrustProxy = false | number | string[];

const NAMED_RANGES: Record<string, string[]> = {
  loopback: ['127.0.0.0/8', '::1/128'],
  linklocal: ['169.254.0.0/16', 'fe80::/10'],
  uniquelocal: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
};

const PROBLEM =
  'TRUST_PROXY must be off, a hop count (1-10), or comma-separated proxy addresses or CIDR ranges (e.g. 10.0.0.0/8,loopback)';

function isAddressOrRange(entry: string): boolean {
  const [address, prefix, extra] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || extra !== undefined) return false;
  if (prefix === undefined) return true;
  if (!/^\d{1,3}$/.test(prefix)) return false;
  return Number(prefix) <= (family === 4 ? 32 : 128);
}

/** Parses TRUST_PROXY; throws naming the variable (never echoing the value) when it is malformed. */
export function trustProxyFrom(value: string | undefined): TrustProxy {
  const trimmed = (value ?? '').trim().toLowerCase();
  if (['', 'off', 'false', 'no', '0'].includes(trimmed)) return false;
  if (/^\d+$/.test(trimmed)) {
    const hops = Number(trimmed);
    if (hops > 10) throw new Error(PROBLEM);
    return hops;
  }
  const entries = trimmed
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  const ranges = entries.flatMap((entry) => NAMED_RANGES[entry] ?? [entry]);
  if (ranges.length === 0 || !ranges.every(isAddressOrRange)) throw new Error(PROBLEM);
  return ranges;
}
