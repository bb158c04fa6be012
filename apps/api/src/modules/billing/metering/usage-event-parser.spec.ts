import { parseUsageEvent } from './usage-event-parser';

const valid = {
  customerId: 'user_1',
  featureId: 'api-calls',
  timestamp: '2026-11-21T10:00:00+01:00',
  idempotencyKey: 'k-1',
};

describe('parseUsageEvent', () => {
  it('accepts a minimal event: quantity defaults to 1, optional fields to null', () => {
    const result = parseUsageEvent(valid);
    expect(result).toEqual({
      ok: true,
      event: {
        customerRef: 'user_1',
        featureId: 'api-calls',
        quantity: 1,
        occurredAt: new Date('2026-11-21T09:00:00Z'),
        idempotencyKey: 'k-1',
        serviceId: null,
        properties: null,
        correctionOf: null,
      },
    });
  });

  it('accepts properties, a service and a correction with a negative quantity', () => {
    const result = parseUsageEvent({
      ...valid,
      quantity: -3,
      correctionOf: 'k-0',
      serviceId: 'terminal',
      properties: { symbol: 'EURUSD', size: 2.5, live: true, note: null },
    });
    expect(result).toMatchObject({
      ok: true,
      event: { quantity: -3, correctionOf: 'k-0', serviceId: 'terminal' },
    });
  });

  it.each([
    ['not an object', 'x', /must be an object/],
    ['an array', [valid], /must be an object/],
    ['an unknown field', { ...valid, tenant: 'x' }, /tenant is not allowed/],
    ['no customer', { ...valid, customerId: '' }, /customerId/],
    ['a padded customer', { ...valid, customerId: ' user_1' }, /customerId/],
    ['a bad feature id', { ...valid, featureId: 'API Calls' }, /featureId/],
    ['no idempotency key', { ...valid, idempotencyKey: undefined }, /idempotencyKey/],
    ['a date without time', { ...valid, timestamp: '2026-11-21' }, /timestamp/],
    ['a time without offset', { ...valid, timestamp: '2026-11-21T10:00:00' }, /timestamp/],
    ['an impossible date', { ...valid, timestamp: '2026-13-45T10:00:00Z' }, /timestamp/],
    ['a fraction', { ...valid, quantity: 1.5 }, /whole number/],
    ['a string quantity', { ...valid, quantity: '3' }, /whole number/],
    ['a huge quantity', { ...valid, quantity: 1e13 }, /whole number/],
    ['a negative quantity without a correction', { ...valid, quantity: -1 }, /correctionOf/],
    ['a long service id', { ...valid, serviceId: 'x'.repeat(65) }, /serviceId/],
    ['array properties', { ...valid, properties: [1] }, /properties must be an object/],
    ['nested properties', { ...valid, properties: { a: { b: 1 } } }, /properties\.a/],
    [
      'too many properties',
      { ...valid, properties: Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`p${i}`, i])) },
      /at most 32/,
    ],
  ])('rejects %s as invalid_event', (_name, input, message) => {
    const result = parseUsageEvent(input);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.reason).toBe('invalid_event');
      expect(result.message).toMatch(message);
    }
  });

  it('rejects a correction that does not take anything back', () => {
    expect(parseUsageEvent({ ...valid, quantity: 2, correctionOf: 'k-0' })).toMatchObject({
      ok: false,
      reason: 'invalid_correction',
    });
  });
});
