import fc from 'fast-check';
import { V8_LARGE_STRING_BYTES } from '../large-strings';
import { JSON_ROWS_SLICE, jsonRowsParameter } from './json-rows-parameter';

const textOf = (parameter: string | Buffer): string =>
  typeof parameter === 'string' ? parameter : parameter.toString('utf8');

describe('jsonRowsParameter', () => {
  it('gives a short array as the string JSON.stringify gives', () => {
    const rows = [{ c: 'cust_1', q: 2 }, { c: 'cust_2' }];
    expect(jsonRowsParameter(rows)).toBe(JSON.stringify(rows));
    expect(jsonRowsParameter([])).toBe('[]');
  });

  it('writes a long array as bytes of the same JSON, slice by slice, across every slice boundary', () => {
    // Lengths around one, two and three slices, and rows with text that takes 2, 3 and 4 bytes in UTF-8.
    for (const length of [
      JSON_ROWS_SLICE + 1,
      2 * JSON_ROWS_SLICE - 1,
      2 * JSON_ROWS_SLICE,
      2 * JSON_ROWS_SLICE + 1,
      3 * JSON_ROWS_SLICE + 7,
    ]) {
      const rows = Array.from({ length }, (_, n) => ({
        n,
        k: `key-${n}`,
        p: n % 3 === 0 ? { note: 'é€😀 "quoted" \\ \n' } : undefined,
      }));
      const parameter = jsonRowsParameter(rows);
      expect(Buffer.isBuffer(parameter)).toBe(true);
      expect(textOf(parameter)).toBe(JSON.stringify(rows));
    }
  });

  it('never makes a string in V8 large-object space for a thousand usage-sized rows', () => {
    const rows = Array.from({ length: 1_000 }, (_, n) => ({
      c: `cust_${String(n).padStart(26, '0')}`,
      k: `idempotency-${n}`,
      i: `ue_01kc4zq5r2x7y8z9abcdefg${String(n).padStart(4, '0')}`,
      f: 1,
      q: 23,
      t: 1_765_000_000_000 + n,
      s: 'market-data',
    }));
    // The whole array is past the size; each slice is far below it.
    expect(JSON.stringify(rows).length).toBeGreaterThan(V8_LARGE_STRING_BYTES);
    expect(JSON.stringify(rows.slice(0, JSON_ROWS_SLICE)).length).toBeLessThan(V8_LARGE_STRING_BYTES / 2);
    expect(textOf(jsonRowsParameter(rows))).toBe(JSON.stringify(rows));
  });

  it('is the JSON of any array of JSON values', () => {
    fc.assert(
      fc.property(fc.array(fc.jsonValue(), { maxLength: 3 * JSON_ROWS_SLICE }), (rows) => {
        expect(JSON.parse(textOf(jsonRowsParameter(rows)))).toEqual(JSON.parse(JSON.stringify(rows)));
        expect(textOf(jsonRowsParameter(rows))).toBe(JSON.stringify(rows));
      }),
      { numRuns: 60 },
    );
  });
});
