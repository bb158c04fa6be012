import { Webhook } from 'standardwebhooks';
import { eventGuards, isEventOfType, verifyWebhook, WebhookVerificationError } from './index';

const secret = `whsec_${Buffer.from('0123456789abcdef0123456789abcdef').toString('base64')}`;
const event = {
  id: 'evt_01',
  type: 'platform.api_key.revoked',
  version: 1,
  occurredAt: '2026-12-06T10:00:00.000Z',
  producer: 'astrix-billing',
  subject: 'key_01',
  data: { apiKeyId: 'key_01', name: 'svc', revokedBy: 'user_1' },
  correlationId: null,
  sequence: 2,
};
const body = JSON.stringify(event);

function signedHeaders(payload = body, at = new Date(), key = secret): Record<string, string> {
  return {
    'webhook-id': event.id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': new Webhook(key).sign(event.id, at, payload),
  };
}

describe('verifyWebhook', () => {
  it('returns the event of a correctly signed delivery (plain headers, any case, or a Fetch Headers)', () => {
    expect(verifyWebhook(body, signedHeaders(), secret)).toEqual(event);
    const upper = Object.fromEntries(Object.entries(signedHeaders()).map(([k, v]) => [k.toUpperCase(), v]));
    expect(verifyWebhook(body, upper, secret).id).toBe('evt_01');
    expect(verifyWebhook(new TextEncoder().encode(body), new Headers(signedHeaders()), secret).id).toBe(
      'evt_01',
    );
  });

  it('accepts any one of several signatures (a secret rotation)', () => {
    const other = `whsec_${Buffer.from('another secret of 32 bytes......').toString('base64')}`;
    const headers = signedHeaders();
    const rotated = signedHeaders(body, new Date(), other)['webhook-signature'];
    headers['webhook-signature'] = `${rotated} ${headers['webhook-signature']}`;
    expect(verifyWebhook(body, headers, secret).id).toBe('evt_01');
  });

  it('refuses a changed body, a wrong secret, a stale timestamp and a missing header', () => {
    expect(() => verifyWebhook(body.replace('svc', 'evil'), signedHeaders(), secret)).toThrow(
      WebhookVerificationError,
    );
    const wrong = `whsec_${Buffer.from('not the secret, 32 bytes long...').toString('base64')}`;
    expect(() => verifyWebhook(body, signedHeaders(), wrong)).toThrow(WebhookVerificationError);
    const stale = signedHeaders(body, new Date(Date.now() - 10 * 60_000));
    expect(() => verifyWebhook(body, stale, secret)).toThrow(WebhookVerificationError);
    const { 'webhook-signature': _dropped, ...missing } = signedHeaders();
    expect(() => verifyWebhook(body, missing, secret)).toThrow(/webhook-signature/);
  });

  it('refuses a signed body that is not an event envelope', () => {
    const payload = JSON.stringify({ hello: 'world' });
    expect(() => verifyWebhook(payload, signedHeaders(payload), secret)).toThrow(/not an Astrix event/);
  });
});

describe('event type guards', () => {
  it('narrow by type at the version this package describes', () => {
    const delivered = verifyWebhook(body, signedHeaders(), secret);
    expect(isEventOfType(delivered, 'platform.api_key.revoked')).toBe(true);
    expect(isEventOfType(delivered, 'platform.api_key.created')).toBe(false);
    expect(eventGuards['platform.api_key.revoked'](delivered)).toBe(true);
    if (eventGuards['platform.api_key.revoked'](delivered)) {
      // Narrowed: the revoked event's data is typed.
      expect(delivered.data.revokedBy).toBe('user_1');
    }
    expect(isEventOfType({ ...delivered, version: 99 }, 'platform.api_key.revoked')).toBe(false);
  });
});
