import { containsSecret, isSecretShownMarker, secretShownMarker } from './secret-marker';

describe('secret-bearing responses', () => {
  it('spots a raw API key or webhook secret anywhere in a body', () => {
    expect(containsSecret({ id: 'key_1', key: `ak_test_${'a1B2'.repeat(10)}` })).toBe(true);
    expect(containsSecret({ data: [{ secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' }] })).toBe(true);
    expect(containsSecret(`ak_live_${'Z'.repeat(40)}`)).toBe(true);
  });

  it('leaves ordinary bodies alone, including key prefixes shown to people', () => {
    expect(containsSecret({ id: 'key_1', prefix: 'ak_test_abcd' })).toBe(false);
    expect(containsSecret({ amount: 100, currency: 'USD' })).toBe(false);
    expect(containsSecret(null)).toBe(false);
    expect(containsSecret(undefined)).toBe(false);
  });

  it('tells its marker from a response', () => {
    expect(isSecretShownMarker(secretShownMarker('create a new key'))).toBe(true);
    expect(isSecretShownMarker({ secretShownOnce: true })).toBe(false);
    expect(isSecretShownMarker(null)).toBe(false);
    expect(isSecretShownMarker([1])).toBe(false);
  });
});
