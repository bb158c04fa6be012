import { inputProblem, MAX_INPUT_DEPTH } from './input-guard';

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
});
