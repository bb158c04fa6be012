import type { IncomingMessage } from 'node:http';
import { AppError } from './app-error';

/** What a refused body is told, here and where the API's Fastify parser refuses one (error-envelope.filter). */
export const BODY_REFUSALS = {
  tooLarge: 'request body is larger than the allowed limit',
  notJson: 'unsupported content type; send application/json',
  empty: 'body is empty but Content-Type is application/json',
  malformed: (detail: string) => `malformed request body: ${detail}`,
} as const;

/** `application/json`, with or without parameters (`; charset=utf-8`), in any case. */
const JSON_MEDIA_TYPE = /^application\/json\s*(?:;|$)/i;

/**
 * The JSON body of a request served by a plain `node:http` listener, refused as the API's Fastify
 * parser refuses it (same statuses, codes and messages): 415 for another media type, 413 past
 * `limitBytes` (declared or streamed), 400 for an empty or malformed body. `JSON.parse` creates a
 * `__proto__` key as an own property, never as a prototype; callers refuse keys they do not know.
 */
export function readJsonBody(request: IncomingMessage, limitBytes: number): Promise<unknown> {
  const mediaType = request.headers['content-type'];
  if (mediaType === undefined || !JSON_MEDIA_TYPE.test(mediaType)) {
    return Promise.reject(new AppError(415, 'UNSUPPORTED_MEDIA_TYPE', BODY_REFUSALS.notJson));
  }
  const declared = Number(request.headers['content-length']);
  if (declared > limitBytes) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > limitBytes) {
        request.off('data', onData);
        request.off('end', onEnd);
        // What is left of the body is not read: the answer closes the connection.
        request.pause();
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      const text = chunks.length === 1 ? chunks[0].toString('utf8') : Buffer.concat(chunks).toString('utf8');
      if (text.length === 0) {
        reject(new AppError(400, 'BAD_REQUEST', BODY_REFUSALS.empty));
        return;
      }
      try {
        resolve(JSON.parse(text));
      } catch (error) {
        reject(new AppError(400, 'BAD_REQUEST', BODY_REFUSALS.malformed((error as Error).message)));
      }
    };
    request.on('data', onData);
    request.on('end', onEnd);
    request.on('error', reject);
  });
}

function tooLarge(): AppError {
  return new AppError(413, 'PAYLOAD_TOO_LARGE', BODY_REFUSALS.tooLarge);
}
