import { maskSensitiveText, maskSensitiveValues, maskUrl, serializeError } from './redaction';

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

  it('masks JWTs, bearer credentials and email addresses (keeping the domain)', () => {
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyXzEifQ.c2lnbmF0dXJlLXNpZ25hdHVyZQ';
    expect(maskSensitiveText(`token ${jwt} seen`)).toBe('token [jwt redacted] seen');
    expect(maskSensitiveText(`Authorization: Bearer ${jwt}`)).toBe('Authorization: Bearer [redacted]');
    expect(maskSensitiveText('Bearer opaque-token-123')).toBe('Bearer [redacted]');
    expect(maskSensitiveText('sent to jane.doe+x@mail.example.com')).toBe('sent to [email]@mail.example.com');
  });

  it('masks stream tokens and hosted invoice link tokens, and any token query parameter', () => {
    expect(maskUrl('/v1/billing/stream?token=sst_eyJzdWIi.abc-_x&userId=u1')).toBe(
      '/v1/billing/stream?token=[redacted]&userId=u1',
    );
    expect(maskUrl('/v1/hosted/invoices/inv_1/pdf?token=hil_eyJpbnYi.x_y-z')).toBe(
      '/v1/hosted/invoices/inv_1/pdf?token=[redacted]',
    );
    expect(maskUrl('/x?a=1&token=something-else')).toBe('/x?a=1&token=[redacted]');
    expect(maskSensitiveText('token sst_eyJ.abc in text')).toBe('token sst_[redacted] in text');
  });

  it('decodes a URL before masking it', () => {
    expect(maskUrl('/x?email=jane%40example.com&card=4242%204242%204242%204242')).toBe(
      '/x?email=[email]@example.com&card=[card ****4242]',
    );
    expect(maskUrl('/x?bad=%E0%A4%A')).toBe('/x?bad=%E0%A4%A');
  });

  it('keeps a failed query error to its SQL, code and constraint, without parameters, detail or quoted input', () => {
    const failed = Object.assign(new Error('invalid input syntax for type uuid: "jane@example.com"'), {
      name: 'QueryFailedError',
      query: 'SELECT * FROM t WHERE id = $1',
      parameters: ['jane@example.com'],
      driverError: { code: '22P02', detail: 'Key (email)=(jane@example.com) already exists.', table: 't' },
    });
    const serialized = serializeError(failed) as Record<string, unknown>;
    expect(serialized).toMatchObject({
      type: 'QueryFailedError',
      message: 'invalid input syntax for type uuid: "[value withheld]"',
      query: 'SELECT * FROM t WHERE id = $1',
      code: '22P02',
      table: 't',
    });
    expect(JSON.stringify(serialized)).not.toMatch(/jane|parameters|detail/);
  });
});
