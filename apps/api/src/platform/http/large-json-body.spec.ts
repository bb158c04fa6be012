import fc from 'fast-check';
import { JSON_PIECE_BYTES, parseArrayEnvelope } from './large-json-body';

/** JSON.parse, counting the texts it is given and the longest. */
function countingParse() {
  const seen = { calls: 0, longest: 0 };
  const parse = (text: string): unknown => {
    seen.calls += 1;
    seen.longest = Math.max(seen.longest, text.length);
    return JSON.parse(text);
  };
  return { parse, seen };
}

const event = (n: number, note = 'plain') => ({
  customerId: `user-${n}`,
  featureId: 'api-calls',
  quantity: n % 50,
  idempotencyKey: `key-${n}`,
  properties: { note },
});

describe('parseArrayEnvelope', () => {
  it('parses a large batch in pieces under the large-string size, to what JSON.parse gives', () => {
    const body = { events: Array.from({ length: 3_000 }, (_, n) => event(n)) };
    const bytes = Buffer.from(JSON.stringify(body));
    expect(bytes.length).toBeGreaterThan(4 * JSON_PIECE_BYTES);
    const { parse, seen } = countingParse();
    expect(parseArrayEnvelope(bytes, parse)).toEqual(body);
    expect(bytes.toString()).toBe(JSON.stringify(body));
    expect(seen.calls).toBeGreaterThanOrEqual(4);
    expect(seen.longest).toBeLessThan(JSON_PIECE_BYTES + 1_000);
  });

  it('takes JSON white space anywhere, and text of several bytes per character', () => {
    const body = { events: Array.from({ length: 2_000 }, (_, n) => event(n, n % 7 === 0 ? 'é€😀' : 'x')) };
    for (const text of [
      JSON.stringify(body, null, 2),
      JSON.stringify(body, null, '\t'),
      ` \r\n${JSON.stringify(body)}\n `,
    ]) {
      expect(parseArrayEnvelope(Buffer.from(text), JSON.parse)).toEqual(body);
    }
    expect(parseArrayEnvelope(Buffer.from('{"events":[]}'), JSON.parse)).toEqual({ events: [] });
  });

  it('never answers other than JSON.parse: strings that look like a cut between objects', () => {
    const tricky = ['},{', '} , {', '"},{"', '\\"},{\\"', '\\\\"},{'];
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(), fc.constantFrom(...tricky), fc.boolean()), {
          minLength: 600,
          maxLength: 900,
        }),
        (parts) => {
          const body = {
            events: parts.map(([n, note, spaced]) =>
              spaced ? { n, note: ` ${note} `, tail: [note] } : { note },
            ),
          };
          const bytes = Buffer.from(JSON.stringify(body));
          const parsed = parseArrayEnvelope(bytes, JSON.parse);
          // Either the same value, or none (the caller then parses the whole body, which is intact).
          if (parsed !== undefined) expect(parsed).toEqual(body);
          expect(bytes.toString()).toBe(JSON.stringify(body));
        },
      ),
      { numRuns: 25 },
    );
  });

  it('gives no answer when its cut falls inside a string (the piece ends in it): the whole parse decides', () => {
    const body = { events: Array.from({ length: 3_000 }, (_, n) => event(n, '"},{"')) };
    const { parse, seen } = countingParse();
    const bytes = Buffer.from(JSON.stringify(body));
    expect(parseArrayEnvelope(bytes, parse)).toBeUndefined();
    expect(seen.calls).toBe(1);
    // The bytes it read as brackets while decoding a piece are back: the whole parse reads the body sent.
    expect(JSON.parse(bytes.toString())).toEqual(body);
  });

  it('leaves every other body to the whole parse', () => {
    const elements = JSON.stringify(Array.from({ length: 2_000 }, (_, n) => event(n)));
    for (const text of [
      `{"events":${elements},"more":1}`, // a second key
      `{"__proto__":${elements}}`, // not a plain name
      `{"a b":${elements}}`,
      `${elements}`, // no envelope
      `{"events":${elements}} x`, // trailing text
      `{"events":${elements.slice(0, -1)},]}`, // a trailing comma
      `{"events":${elements.slice(0, -1)}`, // cut short
      `\ufeff{"events":${elements}}`, // a byte order mark
    ]) {
      expect(parseArrayEnvelope(Buffer.from(text), JSON.parse)).toBeUndefined();
    }
    // A piece its parser refuses: no answer, and nothing thrown.
    const refusing = (text: string) => {
      if (text.includes('key-1500')) throw new SyntaxError('refused');
      return JSON.parse(text) as unknown;
    };
    expect(parseArrayEnvelope(Buffer.from(`{"events":${elements}}`), refusing)).toBeUndefined();
  });
});
