import Ajv from 'ajv';
import fc from 'fast-check';
import { ENTITLEMENT_CHECK_BODY, parseCheck } from './entitlement-check.route';

const accepts = (body: unknown): boolean => {
  try {
    parseCheck(body);
    return true;
  } catch {
    return false;
  }
};

describe('POST /v1/entitlements/check: the documented body schema and the parser', () => {
  const validate = new Ajv({ strict: false }).compile(ENTITLEMENT_CHECK_BODY);

  it('accept exactly the same bodies (generated input around every limit)', () => {
    const field = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { nil: undefined });
    const body = fc.record(
      {
        customerId: field(
          fc.oneof(fc.string({ minLength: 0, maxLength: 205 }), fc.integer(), fc.constant('cust_01')),
        ),
        featureId: field(
          fc.oneof(fc.stringMatching(/^[a-z0-9][a-z0-9_.:-]{0,63}$/), fc.string(), fc.constant('')),
        ),
        quantity: field(
          fc.oneof(
            fc.integer({ min: -3, max: 3 }),
            fc.constantFrom(1_000_000_000_000, 1_000_000_000_001, 0.5, -0),
            fc.string(),
          ),
        ),
        extra: field(fc.string()),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(body, (candidate) => {
        const json = JSON.parse(JSON.stringify(candidate)) as unknown;
        expect({ body: json, parser: accepts(json) }).toEqual({ body: json, parser: validate(json) });
      }),
      { numRuns: 2000, seed: 20261206 },
    );
  });

  it('refuse what is not an object at all', () => {
    for (const body of [null, [], 'x', 1]) expect([accepts(body), validate(body)]).toEqual([false, false]);
  });
});
