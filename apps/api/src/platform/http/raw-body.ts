import type { FastifyInstance, FastifyRequest } from 'fastify';

/** Webhook senders sign the exact bytes they sent: those routes get them as `rawBody`. */
export const RAW_BODY_PATH_PREFIX = '/webhooks/';
export type RequestWithRawBody = FastifyRequest & { rawBody?: Buffer };

/** JSON bodies parse as usual; under RAW_BODY_PATH_PREFIX the request also keeps the bytes. */
export function keepRawBodyForWebhooks(fastify: FastifyInstance): void {
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    const buffer = body as Buffer;
    if (request.url.startsWith(RAW_BODY_PATH_PREFIX)) (request as RequestWithRawBody).rawBody = buffer;
    void parseJson(request, buffer.toString('utf8'), done);
  });
}
