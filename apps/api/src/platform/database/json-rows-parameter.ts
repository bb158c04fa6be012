/** Rows per slice: far under V8's large-string size (V8_LARGE_STRING_BYTES) for rows of a few hundred bytes. */
export const JSON_ROWS_SLICE = 200;

/**
 * `rows` as a JSON array, for a `$n::json` parameter. A short array is the string JSON.stringify
 * gives. A longer one is stringified a slice at a time, and the slices are written as UTF-8 into one
 * Buffer, so no large string is ever made. pg sends a Buffer parameter in binary format, which for
 * `json` is the same text.
 */
export function jsonRowsParameter(rows: readonly unknown[]): string | Buffer {
  if (rows.length <= JSON_ROWS_SLICE) return JSON.stringify(rows);
  const slices: string[] = [];
  let bytes = 0;
  for (let start = 0; start < rows.length; start += JSON_ROWS_SLICE) {
    const json = JSON.stringify(rows.slice(start, start + JSON_ROWS_SLICE));
    slices.push(json);
    bytes += Buffer.byteLength(json);
  }
  const out = Buffer.allocUnsafe(bytes);
  let end = 0;
  for (let index = 0; index < slices.length; index++) {
    // Each slice after the first is written over the `]` that closed the one before, and its own
    // `[` becomes the comma between them.
    const at = index === 0 ? 0 : end - 1;
    end = at + out.write(slices[index], at);
    if (index > 0) out[at] = 0x2c;
  }
  return out.subarray(0, end);
}
