import { signToken, type TokenPurpose, verifyToken } from './signed-token';

const SECRET = 's'.repeat(40);
const linkPurpose: TokenPurpose<{ invoiceId: string }> = {
  prefix: 'hil_',
  name: 'test link',
  parse: (claims) => (typeof claims.inv === 'string' ? { invoiceId: claims.inv } : null),
};
const streamPurpose: TokenPurpose<{ invoiceId: string }> = {
  ...linkPurpose,
  prefix: 'sst_',
  name: 'test stream',
};
const now = new Date('2026-12-06T10:00:00Z');
const inAnHour = new Date('2026-12-06T11:00:00Z');

// signToken writes the claims as given; the parse maps `inv` to invoiceId.
const sign = (secret = SECRET, expiresAt = inAnHour): string =>
  signToken(secret, linkPurpose, { inv: 'inv_1' } as unknown as { invoiceId: string }, expiresAt);

describe('signed tokens', () => {
  it('verifies its own token, with the claims and the expiry in whole seconds', () => {
    const result = verifyToken([SECRET], linkPurpose, sign(), now);
    expect(result).toEqual({ ok: true, claims: { invoiceId: 'inv_1' }, expiresAt: inAnHour });
  });

  it('refuses a token whose payload was changed, or whose signature was changed in any character', () => {
    const token = sign();
    const [payload, signature] = token.slice(4).split('.');
    const otherPayload = Buffer.from(
      JSON.stringify({ inv: 'inv_2', exp: Math.floor(inAnHour.getTime() / 1000) }),
    ).toString('base64url');
    expect(verifyToken([SECRET], linkPurpose, `hil_${otherPayload}.${signature}`, now)).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
    // Every position, the last one too (its low bits do not count in base64url bytes).
    for (let index = 0; index < signature.length; index += 1) {
      const changed = signature[index] === 'A' ? 'B' : 'A';
      const tampered = `hil_${payload}.${signature.slice(0, index)}${changed}${signature.slice(index + 1)}`;
      expect(verifyToken([SECRET], linkPurpose, tampered, now)).toEqual({
        ok: false,
        reason: 'bad_signature',
      });
    }
  });

  it('refuses a token signed under another secret, and accepts it while that secret is still listed', () => {
    const token = sign('o'.repeat(40));
    expect(verifyToken([SECRET], linkPurpose, token, now)).toEqual({ ok: false, reason: 'bad_signature' });
    expect(verifyToken([SECRET, 'o'.repeat(40)], linkPurpose, token, now).ok).toBe(true);
  });

  it('never verifies a token of one purpose as another, even with the prefix swapped', () => {
    const token = sign();
    expect(verifyToken([SECRET], streamPurpose, token, now)).toEqual({ ok: false, reason: 'malformed' });
    expect(verifyToken([SECRET], streamPurpose, `sst_${token.slice(4)}`, now)).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
  });

  it('says when a correctly signed token expired', () => {
    const token = sign();
    expect(verifyToken([SECRET], linkPurpose, token, inAnHour)).toEqual({
      ok: false,
      reason: 'expired',
      expiresAt: inAnHour,
    });
  });

  it.each([
    ['empty', ''],
    ['no prefix', 'abc.def'],
    ['no signature', 'hil_eyJ'],
    ['three parts', 'hil_a.b.c'],
    ['not base64url', `hil_a+b.${'A'.repeat(43)}`],
    ['short signature', 'hil_abc.abc'],
    ['huge', `hil_${'a'.repeat(2000)}.${'A'.repeat(43)}`],
  ])('refuses a malformed token (%s) without checking anything else', (_name, token) => {
    expect(verifyToken([SECRET], linkPurpose, token, now)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('refuses correctly signed claims of the wrong shape as malformed', () => {
    const wrong = signToken(SECRET, linkPurpose, { other: 1 } as unknown as { invoiceId: string }, inAnHour);
    expect(verifyToken([SECRET], linkPurpose, wrong, now)).toEqual({ ok: false, reason: 'malformed' });
  });
});
