import { maskSensitiveText, maskSensitiveValues } from './redaction';

describe('log redaction', () => {
  it('masks card numbers that pass the Luhn check, keeping the last four', () => {
    expect(maskSensitiveText('card 4242 4242 4242 4242 declined')).toBe('card [card ****4242] declined');
    expect(maskSensitiveText('pan=4000000000000002')).toBe('pan=[card ****0002]');
  });

  it('leaves other long numbers alone (order ids, timestamps)', () => {
    expect(maskSensitiveText('order 1234567890123456')).toBe('order 1234567890123456');
    expect(maskSensitiveText('at 1795248000000')).toBe('at 1795248000000');
  });

  it('masks our API keys and Stripe secrets', () => {
    expect(maskSensitiveText('key ak_live_ABCdef0123456789 used')).toBe('key ak_live_[redacted] used');
    expect(maskSensitiveText('sk_test_51Habc and whsec_xyz')).toBe('sk_test_[redacted] and whsec_[redacted]');
  });

  it('masks nested string values in log objects', () => {
    expect(maskSensitiveValues({ msg: 'ok', details: { note: 'card 4242424242424242' }, count: 3 })).toEqual({
      msg: 'ok',
      details: { note: 'card [card ****4242]' },
      count: 3,
    });
  });
});
