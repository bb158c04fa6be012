import { createHash } from 'node:crypto';
import { expiryProblem, isExpired, legacyKeyHash, pepperedKeyHash } from './api-key-secrets';

describe('API key hashing', () => {
  const key = `ak_test_${'aB3'.repeat(13)}x`;

  it('hashes with the pepper: another pepper, another hash; never the key itself', () => {
    const hash = pepperedKeyHash('p'.repeat(32), key);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(pepperedKeyHash('p'.repeat(32), key)).toBe(hash);
    expect(pepperedKeyHash('q'.repeat(32), key)).not.toBe(hash);
    expect(hash).not.toBe(legacyKeyHash(key));
  });

  it('recognises the pre-pepper plain SHA-256 of older keys', () => {
    expect(legacyKeyHash(key)).toBe(createHash('sha256').update(key).digest('hex'));
  });
});

describe('API key expiry', () => {
  const now = new Date('2026-12-06T08:00:00.000Z');

  it('accepts an instant in the future', () => {
    expect(expiryProblem(new Date('2027-06-30T00:00:00Z'), now)).toBeNull();
    expect(expiryProblem(new Date('2026-12-06T08:00:00.001Z'), now)).toBeNull();
  });

  it.each(['2026-12-06T08:00:00Z', '2020-01-01T00:00:00Z'])('refuses %s: not in the future', (value) => {
    expect(expiryProblem(new Date(value), now)).toMatch(/must be in the future/);
  });

  it('counts a key as expired from its expiry instant on', () => {
    expect(isExpired(null, now)).toBe(false);
    expect(isExpired(new Date('2026-12-06T08:00:00.001Z'), now)).toBe(false);
    expect(isExpired(new Date('2026-12-06T08:00:00.000Z'), now)).toBe(true);
  });
});
