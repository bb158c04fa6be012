import { formatMinor, parseMajor } from './money';
import { can } from './permissions';
import { sessionFromToken } from './token';

const jwt = (claims: Record<string, unknown>) =>
  ['{"alg":"HS256"}', JSON.stringify(claims), 'signature']
    .map((part, index) => (index < 2 ? Buffer.from(part).toString('base64url') : part))
    .join('.');

describe('permissions', () => {
  it('offers each role what the API allows it, and admin everything', () => {
    expect(can(['support'], 'charge.refund')).toBe(true);
    expect(can(['support'], 'payouts.review')).toBe(false);
    expect(can(['support'], 'invoice.creditNote')).toBe(false);
    expect(can(['finance'], 'payouts.review')).toBe(true);
    expect(can(['finance'], 'account.releaseHold')).toBe(false);
    expect(can(['finance'], 'apiKeys.manage')).toBe(false);
    expect(can(['admin'], 'payouts.review')).toBe(true);
    expect(can(['admin'], 'apiKeys.manage')).toBe(true);
    expect(can([], 'customers.read')).toBe(false);
  });
});

describe('sessionFromToken', () => {
  it('reads sub, staff roles and expiry; other roles are ignored', () => {
    const session = sessionFromToken(
      jwt({ sub: 'alice', roles: ['support', 'trader'], exp: 2_000_000_000 }),
      true,
    );
    expect(session).toMatchObject({
      sub: 'alice',
      roles: ['support'],
      sandbox: true,
      expiresAt: 2_000_000_000_000,
    });
  });

  it('refuses what is not a staff JWT, with a message to show', () => {
    expect(() => sessionFromToken('not-a-token', false)).toThrow('not a JWT');
    expect(() => sessionFromToken(jwt({ sub: 'bob', roles: ['trader'] }), false)).toThrow('no staff role');
    expect(() => sessionFromToken('a.!!!.c', false)).toThrow('not readable');
  });
});

describe('money in the console', () => {
  it('turns a typed major-unit amount into minor units of the currency, exactly', () => {
    expect(parseMajor('12.50', 'USD')).toEqual({ minor: 1250 });
    expect(parseMajor('0.1', 'USD')).toEqual({ minor: 10 });
    expect(parseMajor('500', 'JPY')).toEqual({ minor: 500 });
    expect(parseMajor('1.234', 'KWD')).toEqual({ minor: 1234 });
  });

  it('refuses amounts a currency cannot hold, zero and negatives', () => {
    expect(parseMajor('12.505', 'USD')).toHaveProperty('error');
    expect(parseMajor('5.5', 'JPY')).toHaveProperty('error');
    expect(parseMajor('0', 'USD')).toHaveProperty('error');
    expect(parseMajor('-3', 'USD')).toHaveProperty('error');
    expect(parseMajor('abc', 'USD')).toHaveProperty('error');
  });

  it('shows minor units as money', () => {
    expect(formatMinor(1250, 'USD')).toBe('$12.50');
    expect(formatMinor(500, 'JPY')).toBe('¥500');
  });
});
