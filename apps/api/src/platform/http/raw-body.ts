import type { FastifyInstance, FastifyRequest } from 'fastify';
import { V8_LARGE_STRING_BYTES } from '../large-strings';
import { parseArrayEnvelope } from './large-json-body';

/** Webhook senders sign the exact bytes they sent: those routes get them as `rawBody`. */
export const RAW_BODY_PATH_PREFIX = '/webhooks/';
export type RequestWithRawBody = FastifyRequest & { rawBody?: Buffer };

/**
 * JSON bodies parse as usual (Fastify's parser, its checks against prototype poisoning included);
 * under RAW_BODY_PATH_PREFIX the request also keeps the bytes. A body past V8's large-string size
 * that is one key holding an array of objects (a usage batch) is parsed in pieces (parseArrayEnvelope).
 */
export function keepRawBodyForWebhooks(fastify: FastifyInstance): void {
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    const buffer = body as Buffer;
    if (request.url.startsWith(RAW_BODY_PATH_PREFIX)) (request as RequestWithRawBody).rawBody = buffer;
    else if (buffer.length > V8_LARGE_STRING_BYTES) {
      const parsed = parseArrayEnvelope(buffer, (text) => {
        // Fastify's parser answers at once; a failed piece sends the body to the whole parse below.
        let answer: { error: Error | null; value: unknown } | undefined;
        void parseJson(request, text, (error, value: unknown) => (answer = { error, value }));
        if (answer === undefined || answer.error !== null) throw answer?.error ?? new Error('no answer');
        return answer.value;
      });
      if (parsed !== undefined) return done(null, parsed);
    }
    void parseJson(request, buffer.toString('utf8'), done);
  });
}
