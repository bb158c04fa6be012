import { V8_LARGE_STRING_BYTES } from '../large-strings';

/** Bytes of array elements decoded and parsed at a time: half of V8's large-string size. */
export const JSON_PIECE_BYTES = V8_LARGE_STRING_BYTES / 2;

/** `{ "key": [` with JSON's own white space; the key a plain name (no escapes, no `__proto__`). */
const ENVELOPE_HEAD = /^[ \t\n\r]*\{[ \t\n\r]*"([A-Za-z][A-Za-z0-9_]*)"[ \t\n\r]*:[ \t\n\r]*\[$/;
/** Where the head must have ended: a longer one is no envelope of ours. */
const MAX_HEAD_BYTES = 256;

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;

const isJsonSpace = (byte: number | undefined): boolean =>
  byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d;

/**
 * The first comma at or after `from` (before `end`) with `}` before it and `{` after it, white space
 * aside: the likely end of one object element and start of the next; `end` when there is none.
 * A comma inside a string can look the same: then the piece it ends fails to parse (it ends inside
 * the string), and the caller parses the whole body instead.
 */
function nextObjectBoundary(body: Buffer, from: number, end: number): number {
  for (
    let comma = body.indexOf(COMMA, from);
    comma !== -1 && comma < end;
    comma = body.indexOf(COMMA, comma + 1)
  ) {
    let before = comma - 1;
    while (isJsonSpace(body[before])) before--;
    let after = comma + 1;
    while (isJsonSpace(body[after])) after++;
    if (body[before] === CLOSE_BRACE && body[after] === OPEN_BRACE) return comma;
  }
  return end;
}

/**
 * A JSON body of one key holding an array of objects (`{"events": [{…}, …]}`), parsed without ever
 * decoding it into one string: a body over V8_LARGE_STRING_BYTES would be a large-object string,
 * whose page faults cost more than parsing it. The elements are cut at commas between objects into
 * pieces of about JSON_PIECE_BYTES, each parsed as an array by `parse` (which throws as JSON.parse),
 * and joined.
 *
 * The answer is what parsing the whole body gives: every piece parsing as an array means each cut was
 * a comma between elements, so the elements are the same. `undefined` when the body is not such an
 * envelope or a piece does not parse: the caller parses the whole body, and its error is the one.
 */
export function parseArrayEnvelope(
  body: Buffer,
  parse: (text: string) => unknown,
): Record<string, unknown[]> | undefined {
  const open = body.indexOf(OPEN_BRACKET);
  if (open === -1 || open >= MAX_HEAD_BYTES) return undefined;
  const head = ENVELOPE_HEAD.exec(body.toString('latin1', 0, open + 1));
  if (head === null) return undefined;
  let close = body.length - 1;
  while (close > open && isJsonSpace(body[close])) close--;
  if (close <= open || body[close] !== CLOSE_BRACE) return undefined;
  close--;
  while (close > open && isJsonSpace(body[close])) close--;
  if (close <= open || body[close] !== CLOSE_BRACKET) return undefined;

  const elements: unknown[] = [];
  let start = open + 1;
  do {
    const end =
      close - start > JSON_PIECE_BYTES ? nextObjectBoundary(body, start + JSON_PIECE_BYTES, close) : close;
    // UTF-8 never has a byte under 0x80 inside a character: a cut at a comma splits none. The bytes
    // either side of the piece (the envelope's `[` or the comma before it; the comma after it or the
    // envelope's `]`) read as `[` and `]` while it is decoded: the text needs no brackets added, which
    // would copy it once more before parsing. They are put back before anything else reads the body.
    const before = body[start - 1];
    const after = body[end];
    body[start - 1] = OPEN_BRACKET;
    body[end] = CLOSE_BRACKET;
    const text = body.toString('utf8', start - 1, end + 1);
    body[start - 1] = before;
    body[end] = after;
    let piece: unknown;
    try {
      piece = parse(text);
    } catch {
      return undefined;
    }
    if (!Array.isArray(piece)) return undefined;
    for (const element of piece) elements.push(element);
    start = end + 1;
  } while (start < close);
  return { [head[1]]: elements };
}
