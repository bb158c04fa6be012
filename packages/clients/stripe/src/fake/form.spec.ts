import { StripeApiError } from './api-error';
import { decodeForm, formFieldsFromJson, FormReader } from './form';

function thrownBy(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('decodeForm', () => {
  it('decodes Stripe bracket notation into nested objects and arrays', () => {
    const encoded =
      'mode=payment&metadata[order_id]=o%201&line_items[0][price_data][currency]=usd' +
      '&line_items[0][quantity]=2&line_items[1][quantity]=1&expand[]=payment_intent&expand[]=customer';

    expect(decodeForm(encoded)).toEqual({
      mode: 'payment',
      metadata: { order_id: 'o 1' },
      line_items: [{ price_data: { currency: 'usd' }, quantity: '2' }, { quantity: '1' }],
      expand: ['payment_intent', 'customer'],
    });
  });

  it('decodes percent-encoded brackets the same way', () => {
    expect(decodeForm('metadata%5Bkey%5D=v&expand%5B0%5D=a')).toEqual({
      metadata: { key: 'v' },
      expand: ['a'],
    });
  });

  it('refuses parameter names that would reach Object.prototype', () => {
    expect(() => decodeForm('metadata[__proto__][polluted]=yes')).toThrow(StripeApiError);
  });
});

describe('FormReader', () => {
  it('names the unread parameter in Stripe notation', () => {
    const reader = new FormReader(decodeForm('amount=100&payment_intent_data[metdata][x]=1'));
    reader.requiredInteger('amount');

    expect(() => reader.rejectUnknown()).toThrow(
      'Received unknown parameter: payment_intent_data[metdata][x]',
    );
  });

  it('reports the full parameter path of an invalid nested value', () => {
    const reader = new FormReader(decodeForm('line_items[0][quantity]=two'));

    const error = thrownBy(() => reader.children('line_items')[0]?.requiredInteger('quantity'));

    expect(error).toBeInstanceOf(StripeApiError);
    expect(error).toMatchObject({ httpStatus: 400, body: { param: 'line_items[0][quantity]' } });
  });

  it('reads JSON bodies with the same accessors', () => {
    const reader = new FormReader(formFieldsFromJson({ card: 4242424242424242, succeeded: false, times: 3 }));

    expect(reader.requiredString('card')).toBe('4242424242424242');
    expect(reader.optionalBoolean('succeeded')).toBe(false);
    expect(reader.optionalInteger('times')).toBe(3);
  });
});
