import fc from 'fast-check';
import { inputProblem, MAX_INPUT_DEPTH, problemWithPath } from './input-guard';

describe('inputProblem', () => {
  it('accepts ordinary input', () => {
    expect(inputProblem({ a: 'x', b: [1, 'y', { c: null }], d: true })).toBeNull();
    expect(inputProblem(undefined)).toBeNull();
  });

  it('names the field of a NUL character in a string or a key', () => {
    expect(inputProblem({ query: 'A\u0000B' })).toEqual({
      field: 'query',
      message: 'must not contain a NUL character',
    });
    expect(inputProblem({ a: { b: ['ok', 'x\u0000'] } })?.field).toBe('a.b.1');
    expect(inputProblem({ a: { ['k\u0000']: 1 } })?.field).toBe('a.k\\u0000');
    expect(inputProblem('\u0000')?.field).toBe('body');
  });

  it('refuses nesting deeper than the limit without recursing', () => {
    let deep: unknown = 1;
    for (let level = 0; level < 100_000; level += 1) deep = [deep];
    expect(inputProblem(deep)?.message).toBe(`must not nest deeper than ${MAX_INPUT_DEPTH} levels`);
    let fine: unknown = 1;
    for (let level = 0; level < MAX_INPUT_DEPTH; level += 1) fine = { a: fine };
    expect(inputProblem(fine)).toBeNull();
  });

  it('finds exactly what the walk with paths finds, on any JSON value (with NULs and deep nesting among them)', () => {
    const text = fc.oneof(fc.string(), fc.constantFrom('\u0000', 'a\u0000b', ''));
    const { value } = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        text,
        fc.integer(),
        fc.boolean(),
        fc.constant(null),
        fc.array(tie('value'), { maxLength: 3 }),
        fc.dictionary(text, tie('value'), { maxKeys: 3 }),
      ),
    }));
    const nested = fc
      .tuple(value, fc.integer({ min: MAX_INPUT_DEPTH - 3, max: MAX_INPUT_DEPTH + 2 }))
      .map(([inner, levels]) => {
        let deep: unknown = inner;
        for (let level = 0; level < levels; level += 1) deep = level % 2 === 0 ? [deep] : { k: deep };
        return deep;
      });
    fc.assert(
      fc.property(fc.oneof(value, nested), (input) => {
        expect(inputProblem(input)).toEqual(problemWithPath(input));
      }),
      { numRuns: 3000 },
    );
  });
});
