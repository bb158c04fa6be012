import { BlockList, isIPv4 } from 'node:net';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TrustProxy } from '../config/trust-proxy';

/** Who is calling, as far as we can tell: the rate limit, fraud velocity and the country rule use it. */
export interface ClientOrigin {
  /** The client's address: the socket peer, or what trusted proxies say (X-Forwarded-For). */
  ip: string;
  /** Two-letter country from the edge's header (cf-ipcountry), only when the peer is a trusted proxy. */
  country: string | null;
}

interface RequestLike {
  ip: string;
  socket: { remoteAddress?: string };
  headers: Record<string, string | string[] | undefined>;
}

/** Whether the socket peer is one of the proxies TRUST_PROXY names. */
export function peerIsTrustedProxy(peer: string | undefined, trust: TrustProxy): boolean {
  if (trust === false || !peer) return false;
  if (typeof trust === 'number') return trust >= 1;
  const address = peer.startsWith('::ffff:') && isIPv4(peer.slice(7)) ? peer.slice(7) : peer;
  const family = isIPv4(address) ? 'ipv4' : 'ipv6';
  const list = new BlockList();
  for (const range of trust) {
    const [network, prefix] = range.split('/');
    const networkFamily = isIPv4(network) ? 'ipv4' : 'ipv6';
    if (prefix === undefined) list.addAddress(network, networkFamily);
    else list.addSubnet(network, Number(prefix), networkFamily);
  }
  return list.check(address, family);
}

/**
 * The one decision of a request's origin. The address is Fastify's `request.ip`, computed with the
 * same TRUST_PROXY (so X-Forwarded-For counts only through trusted proxies); the country header
 * is believed only when the peer itself is a trusted proxy, else any client could name its country.
 */
export function decideClientOrigin(
  request: RequestLike,
  trust: TrustProxy,
  countryHeader: string,
): ClientOrigin {
  const header = request.headers[countryHeader.toLowerCase()];
  const country =
    peerIsTrustedProxy(request.socket.remoteAddress, trust) &&
    typeof header === 'string' &&
    /^[A-Za-z]{2}$/.test(header)
      ? header.toUpperCase()
      : null;
  return { ip: request.ip, country };
}

const ORIGINS = new WeakMap<object, ClientOrigin>();

/** Decides every request's origin once, as it arrives. */
export function registerClientOrigin(
  fastify: FastifyInstance,
  trust: TrustProxy,
  countryHeader: string,
): void {
  fastify.addHook('onRequest', (request, _reply, done) => {
    ORIGINS.set(request, decideClientOrigin(request, trust, countryHeader));
    done();
  });
}

/** The origin decided for this request (the socket peer and no country if, somehow, none was). */
export function clientOrigin(request: FastifyRequest | object): ClientOrigin {
  const decided = ORIGINS.get(request);
  if (decided) return decided;
  const socket = (request as Partial<RequestLike>).socket;
  return { ip: socket?.remoteAddress ?? 'unknown', country: null };
}
