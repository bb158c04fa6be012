/**
 * Whether a `Prefer` request header (RFC 7240) asks for `return=minimal`: preferences are separated by
 * commas, may carry parameters after a semicolon, and their names and token values are case-insensitive;
 * a value may be a quoted string. Any other `return` (or none) leaves the full answer.
 */
export function prefersMinimalReturn(header: string | string[] | undefined): boolean {
  if (header === undefined) return false;
  for (const preference of (Array.isArray(header) ? header.join(',') : header).split(',')) {
    const [nameAndValue] = preference.split(';');
    const equals = nameAndValue.indexOf('=');
    if (equals < 0 || nameAndValue.slice(0, equals).trim().toLowerCase() !== 'return') continue;
    const value = nameAndValue.slice(equals + 1).trim();
    const unquoted =
      value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
    return unquoted.toLowerCase() === 'minimal';
  }
  return false;
}
