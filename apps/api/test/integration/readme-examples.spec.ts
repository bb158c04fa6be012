import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const README = readFileSync(join(__dirname, '../../../../README.md'), 'utf8');

describe('README examples a newcomer pastes', () => {
  it('send Idempotency-Key values the API accepts (printable ASCII; a pasted … is a 400)', () => {
    const values = [...README.matchAll(/Idempotency-Key: ([^'"\n]+)['"]/g)].map((match) => match[1]);
    expect(values.length).toBeGreaterThan(0);
    expect(values.filter((value) => !/^[\x21-\x7e]+$/.test(value) && !value.startsWith('$('))).toEqual([]);
  });

  it('pay the Stripe session id from the returned url, not our chk_ id or a cs_test_… placeholder', () => {
    expect(README).not.toMatch(/checkout-sessions\/cs_test_…\/pay/);
    expect(README).toMatch(/\.url\.split\("\/"\)\.pop\(\)/);
  });

  it('say how tests reach Postgres and what reads .env', () => {
    expect(README).toContain('TEST_POSTGRES_URL');
    expect(README).toMatch(/read a `\.env` file/);
  });
});
