import { trustProxyFrom } from './trust-proxy';

describe('TRUST_PROXY', () => {
  it.each([undefined, '', 'off', 'false', '0', ' OFF '])('%j trusts nobody', (value) => {
    expect(trustProxyFrom(value)).toBe(false);
  });

  it('takes a hop count', () => {
    expect(trustProxyFrom('1')).toBe(1);
    expect(trustProxyFrom('2')).toBe(2);
  });

  it('takes addresses, CIDR ranges and the named ranges', () => {
    expect(trustProxyFrom('10.0.0.0/8, 192.0.2.7,2001:db8::/32')).toEqual([
      '10.0.0.0/8',
      '192.0.2.7',
      '2001:db8::/32',
    ]);
    expect(trustProxyFrom('loopback')).toEqual(['127.0.0.0/8', '::1/128']);
  });

  it.each([
    'true',
    'yes-please',
    '11',
    '10.0.0.0/33',
    '10.0.0/8',
    'example.com',
    '::1/129',
    ',',
    '1.2.3.4/8/9',
  ])('refuses %j, naming the variable', (value) => {
    expect(() => trustProxyFrom(value)).toThrow(/^TRUST_PROXY must be/);
  });
});
