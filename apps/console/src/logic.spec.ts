import { parseLineCorrections, pauseActionFor, regenerationOf } from './customer-actions';
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

  it('offers regenerate to finance only, invoice PDFs and pause to support and finance', () => {
    expect(can(['finance'], 'invoice.regenerate')).toBe(true);
    expect(can(['support'], 'invoice.regenerate')).toBe(false);
    expect(can(['admin'], 'invoice.regenerate')).toBe(true);
    for (const permission of ['invoice.pdf', 'subscription.pause'] as const) {
      expect(can(['support'], permission)).toBe(true);
      expect(can(['finance'], permission)).toBe(true);
    }
  });
});

describe('customer actions', () => {
  it('offers pause from trialing, active and past due unless a cancellation is scheduled, resume when paused', () => {
    const offered = (status: Parameters<typeof pauseActionFor>[0]['status'], cancelAtPeriodEnd = false) =>
      pauseActionFor({ status, cancelAtPeriodEnd });
    expect(offered('active')).toBe('pause');
    expect(offered('trialing')).toBe('pause');
    expect(offered('past_due')).toBe('pause');
    expect(offered('active', true)).toBeNull();
    expect(offered('paused')).toBe('resume');
    expect(offered('incomplete')).toBeNull();
    expect(offered('canceled')).toBeNull();
  });

  it('offers regenerate for a voided subscription invoice until a replacement names it', () => {
    const voided = {
      id: 'inv_1',
      number: 'AST-1',
      status: 'void' as const,
      subscriptionId: 'sub_1',
      regeneratedFromInvoiceId: null,
    };
    const replacement = {
      id: 'inv_2',
      number: 'AST-2',
      status: 'paid' as const,
      subscriptionId: 'sub_1',
      regeneratedFromInvoiceId: 'inv_1',
    };
    expect(regenerationOf(voided, [voided])).toEqual({ kind: 'regenerable' });
    expect(regenerationOf(voided, [voided, replacement])).toEqual({
      kind: 'regenerated',
      as: { id: 'inv_2', number: 'AST-2' },
    });
    expect(regenerationOf(replacement, [voided, replacement])).toEqual({ kind: 'none' });
    expect(regenerationOf({ ...voided, subscriptionId: null }, [])).toEqual({ kind: 'none' });
    expect(regenerationOf({ ...voided, status: 'open' }, [])).toEqual({ kind: 'none' });
  });

  it('reads corrected quantities as line=quantity pairs, refusing anything else with a message', () => {
    expect(parseLineCorrections('')).toEqual([]);
    expect(parseLineCorrections(' 1=2, 3=10 ')).toEqual([
      { position: 1, quantity: 2 },
      { position: 3, quantity: 10 },
    ]);
    expect(() => parseLineCorrections('1:2')).toThrow('"1:2" is not line=quantity (e.g. 1=2)');
    expect(() => parseLineCorrections('1=1.5')).toThrow('is not line=quantity');
    expect(() => parseLineCorrections('0=2')).toThrow('"0=2": line and quantity start at 1');
    expect(() => parseLineCorrections('2=0')).toThrow('line and quantity start at 1');
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
