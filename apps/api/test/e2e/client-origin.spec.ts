import { ProbeModule } from '../support/probe.module';
import { RELAXED_FRAUD_RULES } from '../support/test-app';
import { BillingTestApp, productBySlug, purchase, startBillingTestApp } from '../support/billing';
import { expectBooksClean } from '../support/books';

/**
 * A client talking to the API directly (every request here comes from 127.0.0.1) sends
 * X-Forwarded-For and cf-ipcountry of its choosing. They count only when TRUST_PROXY says the
 * peer is a proxy: off (the default), the rate limit, the per-address purchase velocity and the
 * country rule see the real peer and no country.
 */
describe.each<{ setting: string; env: Record<string, string>; trusted: boolean }>([
  { setting: 'unset (off)', env: {}, trusted: false },
  { setting: 'loopback', env: { TRUST_PROXY: 'loopback' }, trusted: true },
  { setting: '1 hop', env: { TRUST_PROXY: '1' }, trusted: true },
])('client origin with TRUST_PROXY $setting', ({ env, trusted }) => {
  let t: BillingTestApp;
  let productId: string;
  beforeAll(async () => {
    t = await startBillingTestApp({
      imports: [ProbeModule],
      env: {
        ...env,
        RATE_LIMIT_PER_MINUTE: '3',
        FRAUD_RULES: JSON.stringify({
          ...RELAXED_FRAUD_RULES,
          ipVelocity: { maxCheckouts: 3 },
          countryMismatch: { score: 15 },
          flagThreshold: 1000,
        }),
      },
    });
    productId = (await productBySlug(t, 'evaluation-25k')).id;
  });
  afterAll(() => t.close());

  it(`${trusted ? 'honours' : 'ignores'} a client-sent cf-ipcountry in the country rule`, async () => {
    // A US card (4242) paid by a client claiming to be in France.
    await purchase(t, { sub: 'user_claims_fr' }, 'evaluation-25k', '4242424242424242', {
      headers: { 'cf-ipcountry': 'FR' },
    });
    const signals = await t.dataSource.query(
      `SELECT evidence FROM billing.fraud_signals WHERE user_id = $1 AND rule = 'country_mismatch'`,
      ['user_claims_fr'],
    );
    expect(signals).toEqual(trusted ? [{ evidence: { card: 'US', client: 'FR', profile: null } }] : []);
    const [session] = await t.dataSource.query(
      `SELECT client_country FROM billing.checkout_sessions WHERE user_id = $1`,
      ['user_claims_fr'],
    );
    expect(session.client_country).toBe(trusted ? 'FR' : null);
  });

  it(`${trusted ? 'honours' : 'ignores'} a client-sent X-Forwarded-For in the per-address purchase velocity`, async () => {
    // One checkout from 127.0.0.1 above; the limit is 3 per address.
    const statuses: number[] = [];
    for (let index = 1; index <= 3; index += 1) {
      const response = await t.inject({
        method: 'POST',
        url: '/v1/billing/checkout-sessions',
        headers: { ...t.as({ sub: `user_spoofer_${index}` }), 'x-forwarded-for': `198.51.100.${index}` },
        payload: { productId, currency: 'USD' },
      });
      statuses.push(response.statusCode);
    }
    expect(statuses).toEqual(trusted ? [201, 201, 201] : [201, 201, 429]);
  });

  it(`${trusted ? 'honours' : 'ignores'} a client-sent X-Forwarded-For in the anonymous rate limit`, async () => {
    const call = (forwardedFor: string) =>
      t.inject({
        method: 'GET',
        url: '/v1/test-probe/slow?ms=0',
        headers: { 'x-forwarded-for': forwardedFor },
      });
    const spoofed: number[] = [];
    for (let index = 1; index <= 4; index += 1) spoofed.push((await call(`203.0.113.${index}`)).statusCode);
    expect(spoofed).toEqual(trusted ? [200, 200, 200, 200] : [200, 200, 200, 429]);
    // Through a trusted proxy, one client is still one client.
    const same: number[] = [];
    for (let index = 1; index <= 4; index += 1) same.push((await call('192.0.2.50')).statusCode);
    expect(same).toEqual(trusted ? [200, 200, 200, 429] : [429, 429, 429, 429]);
  });

  it('leaves the books clean', async () => {
    await expectBooksClean(t.app);
  });
});
