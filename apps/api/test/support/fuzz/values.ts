import fc from 'fast-check';
import { type OpenApiDocument, resolve, type Schema } from './openapi';

/** Strings that have broken parsers, validators, drivers or queries somewhere, by kind. */
export const HOSTILE_STRINGS: Record<string, readonly string[]> = {
  empty: ['', ' ', '\t', '\n'],
  numeric: [
    '0',
    '-1',
    '-0',
    '1.5',
    '1e309',
    '-1e309',
    'NaN',
    'Infinity',
    '9007199254740993',
    '99999999999999999999999',
    '0x10',
  ],
  literal: ['null', 'undefined', 'true', '[]', '{}', '__proto__', 'constructor', 'prototype'],
  date: [
    '2026-W01',
    '2026-W01-1',
    '2026-001',
    '2026-02-30',
    '2026-13-45',
    '0000-01-01',
    '1969-12-31T23:59:59Z',
    '+275760-09-13T00:00:00Z',
    '-000001-01-01T00:00:00Z',
    '9999-12-31T23:59:59.999Z',
    '2026-01-01T24:00:00Z',
    '2026-01-01T10',
    '2026-01-01T10:00:00+99:00',
    '20260101T100000Z',
    '2026-11-21',
    '2026-11-21T10:00:00Z',
  ],
  nul: ['A\u0000B', '\u0000', 'cust_\u0000', '2026-11-21T10:00:00Z\u0000'],
  control: ['\u0001\u001f\u007f', 'a\r\nSet-Cookie: x=1', '\u0008'],
  unicode: ['ü', '😀', '\u202eevil', '\ufeff', '\uffff', '\ud800', 'ｓｅｌｅｃｔ', 'İ', 'ß'.repeat(50)],
  injection: [
    "' OR '1'='1",
    "'; DROP TABLE billing.charges; --",
    '" OR ""="',
    '%',
    '_',
    '%_%',
    '\\',
    '\\x00',
    '../../etc/passwd',
    '<script>alert(1)</script>',
    '${7*7}',
    '{{7*7}}',
    '$where',
  ],
  ids: [
    'cust_01jzzzzzzzzzzzzzzzzzzzzzzz',
    'prd_01jzzzzzzzzzzzzzzzzzzzzzzz',
    'user_fuzz',
    'usd',
    'XXX',
    'USD',
  ],
};

const HOSTILE_NUMBERS: readonly number[] = [
  -1,
  0,
  -0,
  1.5,
  0.1,
  1e21,
  1e308,
  -1e308,
  2 ** 31,
  2 ** 53 + 2,
  Number.MAX_SAFE_INTEGER,
  -Number.MAX_SAFE_INTEGER,
  5e-324,
];

export const hostileString: fc.Arbitrary<string> = fc.oneof(
  ...Object.values(HOSTILE_STRINGS).map((kind) => ({ weight: 1, arbitrary: fc.constantFrom(...kind) })),
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 12 }) },
  { weight: 1, arbitrary: fc.constantFrom(300, 5_000, 60_000).map((length) => 'x'.repeat(length)) },
);

/** Any JSON value a careless or hostile client might send where something else was expected. */
export const hostileJson: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: hostileString },
  { weight: 3, arbitrary: fc.constantFrom<unknown>(...HOSTILE_NUMBERS) },
  { weight: 1, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }) },
  { weight: 2, arbitrary: fc.constantFrom<unknown>(null, true, false, [], {}, [null], { '': '' }) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 10, max: 40 }).map((depth) => {
      let value: unknown = 'deep';
      for (let level = 0; level < depth; level += 1) value = level % 2 ? [value] : { a: value };
      return value;
    }),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(1_000, 20_000).map((length) => Array.from({ length }, (_, i) => i)),
  },
);

const ID_PREFIX_OF_FIELD: Record<string, string> = {
  customerId: 'cust',
  productId: 'prd',
  accountId: 'acc',
  chargeId: 'chg',
  invoiceId: 'inv',
  subscriptionId: 'sub',
  couponId: 'cpn',
};

/** A value that fits a field by its name: dates that validate, ids of seeded rows. */
export function valueByName(name: string, realIds: readonly string[]): unknown {
  if (name === 'from') return '2026-01-01T00:00:00Z';
  if (name === 'to') return '2026-02-01T00:00:00Z';
  if (name === 'asOf') return '2026-11-21T10:00:00Z';
  if (/At$/.test(name)) return name === 'expiresAt' ? '2030-01-01T00:00:00Z' : new Date().toISOString();
  if (name === 'userId') return 'user_fuzz';
  const prefix = ID_PREFIX_OF_FIELD[name];
  if (prefix)
    return realIds.find((id) => id.startsWith(`${prefix}_`)) ?? `${prefix}_01jzzzzzzzzzzzzzzzzzzzzzzz`;
  return undefined;
}

/** A plausible value for a schema: its example, first enum value, default, or a typed placeholder. */
export function plausible(
  schema: Schema | undefined,
  doc: OpenApiDocument,
  realIds: readonly string[] = [],
  name = '',
  depth = 0,
): unknown {
  const named = valueByName(name, realIds);
  if (named !== undefined) return named;
  const resolved = resolve(schema, doc);
  if (resolved.example !== undefined) return resolved.example;
  if (resolved.enum && resolved.enum.length > 0) return resolved.enum[0];
  if (resolved.default !== undefined) return resolved.default;
  const variant = resolved.oneOf?.[0] ?? resolved.anyOf?.[0];
  if (variant) return plausible(variant, doc, realIds, name, depth + 1);
  switch (resolved.type) {
    case 'string':
      return resolved.format === 'date-time' ? '2026-11-21T10:00:00Z' : 'fuzz';
    case 'integer':
    case 'number':
      return resolved.minimum ?? 1;
    case 'boolean':
      return true;
    case 'array':
      return depth > 4 ? [] : [plausible(resolved.items, doc, realIds, '', depth + 1)];
    default: {
      if (depth > 4 || !resolved.properties) return {};
      return Object.fromEntries(
        Object.entries(resolved.properties).map(([field, property]) => [
          field,
          plausible(property, doc, realIds, field, depth + 1),
        ]),
      );
    }
  }
}

export interface Body {
  /** The JSON text sent (prototype keys are spliced in as text: an object literal cannot hold them). */
  text: string;
}

const PROTOTYPE_KEYS = [
  '"__proto__":{"roles":["admin"],"isAdmin":true}',
  '"constructor":{"prototype":{"roles":["admin"]}}',
  '"__proto__":null',
  '"constructor":null',
  '"prototype":{}',
];

/** A body for an operation's schema: junk, or the plausible body with a few fields made hostile. */
export function bodyArbitrary(
  schema: Schema,
  doc: OpenApiDocument,
  realIds: readonly string[] = [],
): fc.Arbitrary<Body> {
  const skeleton = plausible(schema, doc, realIds);
  const fields =
    typeof skeleton === 'object' && skeleton !== null && !Array.isArray(skeleton)
      ? Object.keys(skeleton)
      : [];
  const junk = hostileJson.map((value) => ({ text: JSON.stringify(value) ?? 'null' }));
  const mutated = fc
    .record({
      picks: fc.array(fc.tuple(fc.nat(), hostileJson), { minLength: 0, maxLength: 2 }),
      drop: fc.option(fc.nat(), { nil: undefined, freq: 4 }),
      extra: fc.option(fc.tuple(hostileString, hostileJson), { nil: undefined, freq: 4 }),
      prototypeKey: fc.option(fc.constantFrom(...PROTOTYPE_KEYS), { nil: undefined, freq: 3 }),
    })
    .map(({ picks, drop, extra, prototypeKey }) => {
      const body: Record<string, unknown> = { ...(skeleton as Record<string, unknown>) };
      for (const [index, value] of picks) {
        if (fields.length > 0) body[fields[index % fields.length]] = value;
      }
      if (drop !== undefined && fields.length > 0) delete body[fields[drop % fields.length]];
      if (extra) body[extra[0]] = extra[1];
      let text = JSON.stringify(body);
      if (prototypeKey) text = text === '{}' ? `{${prototypeKey}}` : `{${prototypeKey},${text.slice(1)}`;
      return { text };
    });
  return fields.length > 0
    ? fc.oneof({ weight: 1, arbitrary: junk }, { weight: 3, arbitrary: mutated })
    : junk;
}
