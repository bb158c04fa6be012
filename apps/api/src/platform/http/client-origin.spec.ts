import { decideClientOrigin, peerIsTrustedProxy } from './client-origin';

const request = (peer: string, ip: string, headers: Record<string, string> = {}) => ({
  ip,
  socket: { remoteAddress: peer },
  headers,
});

describe('client origin', () => {
  it('ignores the country header when no proxy is trusted', () => {
    expect(
      decideClientOrigin(
        request('203.0.113.9', '203.0.113.9', { 'cf-ipcountry': 'FR' }),
        false,
        'cf-ipcountry',
      ),
    ).toEqual({
      ip: '203.0.113.9',
      country: null,
    });
  });

  it('believes the country header from a trusted proxy, normalised', () => {
    expect(
      decideClientOrigin(
        request('10.0.0.2', '198.51.100.4', { 'cf-ipcountry': 'fr' }),
        ['10.0.0.0/8'],
        'cf-ipcountry',
      ),
    ).toEqual({
      ip: '198.51.100.4',
      country: 'FR',
    });
    expect(
      decideClientOrigin(request('10.0.0.2', '198.51.100.4', { 'cf-ipcountry': 'XX1' }), 1, 'cf-ipcountry')
        .country,
    ).toBeNull();
  });

  it('does not believe a peer outside the trusted ranges', () => {
    expect(
      decideClientOrigin(
        request('192.0.2.1', '192.0.2.1', { 'cf-ipcountry': 'FR' }),
        ['10.0.0.0/8'],
        'cf-ipcountry',
      ).country,
    ).toBeNull();
  });

  it('matches peers against addresses and ranges, IPv4-mapped IPv6 included', () => {
    expect(peerIsTrustedProxy('::ffff:127.0.0.1', ['127.0.0.0/8'])).toBe(true);
    expect(peerIsTrustedProxy('::1', ['127.0.0.0/8', '::1/128'])).toBe(true);
    expect(peerIsTrustedProxy('192.0.2.7', ['192.0.2.7'])).toBe(true);
    expect(peerIsTrustedProxy('192.0.2.8', ['192.0.2.7'])).toBe(false);
    expect(peerIsTrustedProxy('192.0.2.8', 2)).toBe(true);
    expect(peerIsTrustedProxy('192.0.2.8', false)).toBe(false);
    expect(peerIsTrustedProxy(undefined, 1)).toBe(false);
  });
});
