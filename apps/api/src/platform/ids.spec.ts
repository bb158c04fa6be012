import fc from 'fast-check';
import { monotonicUlids, newId } from './ids';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
const decodeTime = (ulid: string): number =>
  [...ulid.slice(0, 10)].reduce((time, digit) => time * 32 + ALPHABET.indexOf(digit), 0);
/** A byte source that replays `bytes`, then zeros. */
const replay = (bytes: number[]) => {
  let next = 0;
  return () => bytes[next++] ?? 0;
};

describe('ids', () => {
  it('writes a prefix and a 26-digit lower-case ULID whose time is now', () => {
    const before = Date.now();
    const id = newId('ue');
    const after = Date.now();
    expect(id).toMatch(/^ue_[0-9a-hjkmnp-tv-z]{26}$/);
    const time = decodeTime(id.slice(3));
    expect(time).toBeGreaterThanOrEqual(before);
    expect(time).toBeLessThanOrEqual(after);
  });

  it("encodes the time as the ULID spec's own example does", () => {
    const next = monotonicUlids(() => 1469918176385, replay([]));
    expect(next().slice(0, 10)).toBe('01aryz6s41');
  });

  it('takes each random digit from a byte (its low five bits)', () => {
    const next = monotonicUlids(
      () => 0,
      replay([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 31, 32 + 15]),
    );
    expect(next()).toBe('0000000000123456789abcdezf');
  });

  it('counts up within one millisecond and when the clock steps back, and draws afresh when it moves on', () => {
    let time = 1_000;
    const next = monotonicUlids(
      () => time,
      replay([...Array<number>(16).fill(0), ...Array<number>(16).fill(7)]),
    );
    const first = next();
    expect(first.slice(10)).toBe('0000000000000000');
    expect(next().slice(10)).toBe('0000000000000001');
    time = 999;
    const stepped = next();
    expect(stepped).toBe(`${first.slice(0, 10)}0000000000000002`);
    time = 1_001;
    expect(next().slice(10)).toBe('7777777777777777');
  });

  it('carries the count into the digits before the last four, and refuses to wrap around', () => {
    // Random digits 0…0 then 31 31 31 31 (the last four at their highest): the next id carries.
    const next = monotonicUlids(() => 5, replay([...Array<number>(12).fill(0), 31, 31, 31, 31]));
    expect(next().slice(10)).toBe('000000000000zzzz');
    expect(next().slice(10)).toBe('0000000000010000');
    expect(next().slice(10)).toBe('0000000000010001');
    const full = monotonicUlids(() => 5, replay(Array<number>(16).fill(31)));
    expect(full().slice(10)).toBe('zzzzzzzzzzzzzzzz');
    expect(() => full()).toThrow('overflowed');
  });

  it('makes ids in strictly increasing order, whatever the random digits', () => {
    fc.assert(
      fc.property(
        // The first random digit below 31, so that a few hundred ids cannot exhaust the random part.
        fc.integer({ min: 0, max: 30 }),
        fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 15, maxLength: 15 }),
        fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 1, maxLength: 300 }),
        (first, rest, steps) => {
          let time = 1_700_000_000_000;
          const bytes = [first, ...rest];
          let drawn = 0;
          const next = monotonicUlids(
            () => time,
            () => bytes[drawn++ % bytes.length],
          );
          let previous = next();
          for (const step of steps) {
            time += step - 1; // forward, the same millisecond, or back
            const id = next();
            expect(id > previous).toBe(true);
            expect(id).toMatch(/^[0-9a-hjkmnp-tv-z]{26}$/);
            previous = id;
          }
        },
      ),
    );
  });
});
