import { randomBytes } from 'node:crypto';
import { isSealed, SecretBox, SecretBoxError, sealedKeyId } from './secret-box';
import { parseSecretKeys } from './secret-keys';

const key = (id: string) => ({ id, key: randomBytes(32) });

describe('SecretBox (AES-256-GCM)', () => {
  const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwOb7TpOGzGMQ=';

  it('seals with the first key into a value that names it and never holds the plaintext', () => {
    const box = new SecretBox([key('k2'), key('k1')]);
    const sealed = box.seal(secret, 'whe_1');
    expect(isSealed(sealed)).toBe(true);
    expect(sealedKeyId(sealed)).toBe('k2');
    expect(sealed).not.toContain(secret);
    expect(sealed).not.toContain(secret.slice('whsec_'.length, 20));
    expect(box.open(sealed, 'whe_1')).toBe(secret);
    // A fresh IV each time: the same secret never seals the same way twice.
    expect(box.seal(secret, 'whe_1')).not.toBe(sealed);
  });

  it('opens values sealed with any listed key, so a new key can go first before re-encryption', () => {
    const old = key('old');
    const sealedWithOld = new SecretBox([old]).seal(secret, 'whe_1');
    const rotated = new SecretBox([key('new'), old]);
    expect(rotated.open(sealedWithOld, 'whe_1')).toBe(secret);
    expect(rotated.needsResealing(sealedWithOld)).toBe(true);
    const resealed = rotated.seal(rotated.open(sealedWithOld, 'whe_1'), 'whe_1');
    expect(rotated.needsResealing(resealed)).toBe(false);
    expect(() => new SecretBox([key('new')]).open(sealedWithOld, 'whe_1')).toThrow(/no longer lists/);
  });

  it('reads a plaintext value as it is (rows from before encryption) and asks for it to be sealed', () => {
    const box = new SecretBox([key('k1')]);
    expect(box.open(secret, 'whe_1')).toBe(secret);
    expect(box.needsResealing(secret)).toBe(true);
  });

  it('refuses a tampered value, a value moved to another row and a wrong key of the same id', () => {
    const k1 = key('k1');
    const box = new SecretBox([k1]);
    const sealed = box.seal(secret, 'whe_1');
    const parts = sealed.split(':');
    const flipped = Buffer.from(parts[5], 'base64url');
    flipped[0] ^= 1;
    parts[5] = flipped.toString('base64url');
    expect(() => box.open(parts.join(':'), 'whe_1')).toThrow(SecretBoxError);
    expect(() => box.open(sealed, 'whe_2')).toThrow(/does not open/);
    expect(() => new SecretBox([key('k1')]).open(sealed, 'whe_1')).toThrow(/does not open/);
    expect(() => box.open('sealed:v1:k1:only', 'whe_1')).toThrow(/malformed/);
  });
});

describe('parseSecretKeys (WEBHOOK_SECRET_KEYS)', () => {
  const material = randomBytes(32).toString('base64');

  it('reads id:base64key pairs in order', () => {
    const other = randomBytes(32).toString('base64');
    const keys = parseSecretKeys(`2026-12:${material}, 2026-01:${other}`);
    expect(keys.map((entry) => entry.id)).toEqual(['2026-12', '2026-01']);
    expect(keys[0].key.equals(Buffer.from(material, 'base64'))).toBe(true);
  });

  it.each([
    ['', /at least one key/],
    [material, /entry 1 must be id:base64key/],
    ['k1:c2hvcnQ=', /key "k1" must be 32 random bytes/],
    [`k1:${material},k1:${material}`, /listed twice/],
    ['bad id!:xyz', /entry 1/],
  ])('refuses %p naming the variable and never echoing key material', (raw, message) => {
    let error: Error | null = null;
    try {
      parseSecretKeys(raw);
    } catch (caught) {
      error = caught as Error;
    }
    expect(error?.message).toMatch(/^WEBHOOK_SECRET_KEYS/);
    expect(error?.message).toMatch(message);
    expect(error?.message).not.toContain(material);
  });
});
