import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

export interface OutboundNetworkPolicy {
  allowPrivateNetworks: boolean;
  allowHttp: boolean;
}

/** Loopback, private, link-local, CGNAT, multicast and reserved ranges: never a sibling's public URL. */
const NON_PUBLIC = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  NON_PUBLIC.addSubnet(network, prefix, 'ipv4');
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b::', 96],
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const)
  NON_PUBLIC.addSubnet(network, prefix, 'ipv6');

/** True for an address a webhook must not reach in production (IPv4-mapped IPv6 checked as IPv4). */
export function isNonPublicAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return isNonPublicAddress(mapped[1]);
  const family = isIP(address);
  if (family === 0) return true;
  return NON_PUBLIC.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

export class RefusedUrlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RefusedUrlError';
  }
}

/** Syntax and scheme of an endpoint URL; throws RefusedUrlError with the reason. */
export function checkEndpointUrl(raw: string, policy: OutboundNetworkPolicy): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new RefusedUrlError('url must be an absolute URL');
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && policy.allowHttp))
    throw new RefusedUrlError(policy.allowHttp ? 'url must use http or https' : 'url must use https');
  if (url.username || url.password) throw new RefusedUrlError('url must not carry credentials');
  if (url.hash) throw new RefusedUrlError('url must not have a fragment');
  return url;
}

/** Every address the host resolves to; refuses the host when any of them is not public (and that is not allowed). */
export async function resolveAllowedAddresses(
  hostname: string,
  policy: OutboundNetworkPolicy,
): Promise<Array<{ address: string; family: number }>> {
  const host = hostname.replace(/^\[|\]$/g, '');
  const addresses = isIP(host)
    ? [{ address: host, family: isIP(host) }]
    : await lookup(host, { all: true, verbatim: true }).catch(() => {
        throw new RefusedUrlError(`host ${host} does not resolve`);
      });
  if (addresses.length === 0) throw new RefusedUrlError(`host ${host} does not resolve`);
  if (!policy.allowPrivateNetworks) {
    const refused = addresses.find((entry) => isNonPublicAddress(entry.address));
    if (refused)
      throw new RefusedUrlError(
        `host ${host} resolves to a private, loopback or link-local address (${refused.address})`,
      );
  }
  return addresses;
}
