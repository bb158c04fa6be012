import fc from 'fast-check';
import type { OpenApiDocument, Operation } from './openapi';
import { bodyArbitrary, hostileString, plausible, valueByName } from './values';

export interface FuzzRequest {
  method: Operation['method'];
  url: string;
  headers: Record<string, string>;
  /** JSON text, sent as application/json. */
  payload?: string;
}

/** Id prefixes of the app (IdParam): well-formed ids that name nothing reach the lookups. */
const ID_PREFIXES = [
  'cust',
  'prd',
  'chg',
  'inv',
  'sub',
  'acc',
  'po',
  'cpn',
  'whe',
  'whd',
  'key',
  'fs',
  'ptk',
  'brun',
  'ual',
  'chk',
  'user',
];

/** Already percent-encoded segments: malformed escapes, encoded NUL, dots, slashes. */
const RAW_SEGMENTS = ['%', '%zz', '%ED%A0%80', '%C0%80', '%FF', '%00', '..', '%2e%2e', '%2F', 'a%2Fb', '%20'];

/** Percent-encodes text; lone surrogates (which encodeURIComponent refuses) become invalid UTF-8. */
export function encode(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    return Array.from(value, (char) => {
      try {
        return encodeURIComponent(char);
      } catch {
        return '%ED%A0%80';
      }
    }).join('');
  }
}

const wellFormedId = fc
  .tuple(fc.constantFrom(...ID_PREFIXES), fc.stringMatching(/^[0-9a-z]{26}$/))
  .map(([prefix, tail]) => `${prefix}_${tail}`);

/** A path segment: an id of a seeded row, a well-formed id of nothing, hostile text or a raw escape. */
function pathSegment(realIds: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(
    ...(realIds.length > 0 ? [{ weight: 3, arbitrary: fc.constantFrom(...realIds) }] : []),
    { weight: 2, arbitrary: wellFormedId },
    { weight: 4, arbitrary: hostileString.map(encode) },
    { weight: 1, arbitrary: fc.constantFrom(...RAW_SEGMENTS) },
  );
}

const hostileQueryValue: fc.Arbitrary<string[]> = fc.oneof(
  { weight: 6, arbitrary: hostileString.map((value) => [encode(value)]) },
  { weight: 1, arbitrary: fc.constantFrom(...RAW_SEGMENTS).map((raw) => [raw]) },
  { weight: 1, arbitrary: fc.tuple(hostileString, hostileString).map((pair) => pair.map(encode)) },
);

/** Header values must be printable ASCII to be sent at all; a hostile one is still allowed. */
const headerValue = fc.oneof(
  fc.uuid(),
  hostileString.filter((value) => /^[\x20-\x7e]{0,8000}$/.test(value)),
);

/**
 * Every request the suite may send to one operation (the caller's credentials are added later):
 * a plausible request (seeded ids, dates that validate, the schema's examples) with one or two of
 * its path parameters or query values made hostile, or an extra query parameter, or a hostile body.
 */
export function requestArbitrary(
  operation: Operation,
  doc: OpenApiDocument,
  realIds: readonly string[] = [],
): fc.Arbitrary<FuzzRequest> {
  const plainIds = realIds.length > 0 ? realIds : ['none'];
  const basePath = fc.tuple(
    ...operation.pathParams.map((name) => {
      const named = valueByName(name, realIds);
      return typeof named === 'string' ? fc.constant(named) : fc.constantFrom(...plainIds);
    }),
  );
  const baseQuery = fc.tuple(
    ...operation.query.map((parameter) => {
      const value = plausible(parameter.schema, doc, realIds, parameter.name);
      const text = typeof value === 'string' ? value : JSON.stringify(value);
      return parameter.required
        ? fc.constant([encode(text)])
        : fc.option(fc.constant([encode(text)]), { nil: undefined, freq: 2 });
    }),
  );
  const slots = operation.pathParams.length + operation.query.length + 1;
  const mutations = fc.array(
    fc.record({ slot: fc.nat({ max: slots - 1 }), path: pathSegment(realIds), query: hostileQueryValue }),
    { minLength: operation.body ? 0 : 1, maxLength: 2 },
  );
  const extraQuery = fc.tuple(hostileString, hostileString);
  const headers = fc.tuple(...operation.headers.map(() => fc.option(headerValue, { nil: undefined })));
  const body = operation.body
    ? bodyArbitrary(operation.body, doc, realIds).map((b) => b.text)
    : fc.constant(undefined);
  return fc
    .tuple(basePath, baseQuery, mutations, extraQuery, headers, body)
    .map(([pathValues, queryValues, changes, extra, headerValues, payload]) => {
      const segments = [...pathValues];
      const query: Array<readonly string[] | undefined> = [...queryValues];
      let withExtra = false;
      for (const change of changes) {
        if (change.slot < segments.length) segments[change.slot] = change.path;
        else if (change.slot < segments.length + query.length)
          query[change.slot - segments.length] = change.query;
        else withExtra = true;
      }
      let url = operation.path;
      operation.pathParams.forEach((name, index) => {
        url = url.replace(`{${name}}`, segments[index]);
      });
      const pairs: string[] = [];
      operation.query.forEach((parameter, index) => {
        for (const value of query[index] ?? []) pairs.push(`${parameter.name}=${value}`);
      });
      if (withExtra) pairs.push(`${encode(extra[0])}=${encode(extra[1])}`);
      const headerPairs: Record<string, string> = {};
      operation.headers.forEach((name, index) => {
        const value = headerValues[index];
        if (value !== undefined) headerPairs[name.toLowerCase()] = value;
      });
      return {
        method: operation.method,
        url: pairs.length > 0 ? `${url}?${pairs.join('&')}` : url,
        headers: headerPairs,
        ...(payload === undefined ? {} : { payload }),
      };
    });
}
