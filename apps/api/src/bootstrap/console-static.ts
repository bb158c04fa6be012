import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';

export const CONSOLE_PREFIX = '/console';

/** Where `pnpm nx build @astrix/console` writes the staff console (same from src/ and dist/). */
export const CONSOLE_DIST = resolve(__dirname, '..', '..', '..', 'console', 'dist');

/**
 * Serves the staff console's static build at /console: its files as they are, and index.html for
 * every other path under /console so the app's own routes survive a reload. The console talks to
 * /v1/admin with the signed-in staff token like any client; serving it grants nothing. When the
 * console has not been built, /console says how to build it.
 */
export function registerConsole(fastify: FastifyInstance, root = CONSOLE_DIST): void {
  const index = join(root, 'index.html');
  if (!existsSync(index)) {
    fastify.get(`${CONSOLE_PREFIX}*`, async (_request, reply) =>
      reply
        .code(404)
        .type('text/plain; charset=utf-8')
        .send('The staff console is not built: run `pnpm nx build @astrix/console`, then restart the API.\n'),
    );
    return;
  }
  void fastify.register(async (scope) => {
    // Files are listed once at start (wildcard off), so unknown paths fall through to index.html.
    await scope.register(fastifyStatic, {
      root,
      prefix: `${CONSOLE_PREFIX}/`,
      wildcard: false,
      decorateReply: false,
      index: false,
      cacheControl: false,
      setHeaders: (reply, path) => {
        // Vite names built assets by content hash: they never change; index.html always may.
        reply.header(
          'cache-control',
          path.startsWith(join(root, 'assets')) ? 'public, max-age=31536000, immutable' : 'no-cache',
        );
      },
    });
    const html = readFileSync(index, 'utf8');
    const sendIndex = async (_request: unknown, reply: FastifyReply) =>
      reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(html);
    scope.get(CONSOLE_PREFIX, async (_request, reply) => reply.redirect(`${CONSOLE_PREFIX}/`));
    scope.get(`${CONSOLE_PREFIX}/*`, sendIndex);
  });
}
