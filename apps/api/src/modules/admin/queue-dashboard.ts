import { Injectable, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AccessRule } from '../../platform/auth/access.decorators';
import { authorize } from '../../platform/auth/authenticator';
import { JwtVerifier } from '../../platform/auth/jwt-verifier';
import { AppConfig } from '../../platform/config/app-config';
import { AppError } from '../../platform/http/app-error';
import { describeError, errorEnvelope } from '../../platform/http/error-envelope.filter';
import { JobQueue } from '../../platform/queues/job-queue.service';
import { QUEUE_NAMES } from '../../platform/queues/job-registry';

export const QUEUE_DASHBOARD_PATH = '/admin/queues';
export const STAFF_TOKEN_COOKIE = 'astrix_staff_token';
const LOGIN_PATH = `${QUEUE_DASHBOARD_PATH}/login`;

/**
 * Paste-a-token page (browsers send no Bearer header): it hands the JWT to POST /admin/queues/login,
 * which checks it and sets the dashboard cookie itself, HttpOnly, so page scripts never read it.
 */
const LOGIN_PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>Astrix queues: sign in</title></head>
<body style="font-family:sans-serif;max-width:40em;margin:4em auto">
<h1>Astrix queues</h1><p>Paste a staff token with the <code>admin</code> role (<code>pnpm cli dev-token</code> locally, the identity service otherwise). The dashboard is read-only: retry or discard jobs through <code>/v1/admin/queues</code> (audited).</p>
<form id="f"><textarea id="t" rows="6" style="width:100%" required></textarea><p><button>Open the dashboard</button></p><p id="e" style="color:#b00"></p></form>
<script>document.getElementById('f').addEventListener('submit',function(e){e.preventDefault();
fetch('${LOGIN_PATH}',{method:'POST',credentials:'same-origin',headers:{authorization:'Bearer '+document.getElementById('t').value.trim()}})
.then(function(r){if(r.ok){location.href='${QUEUE_DASHBOARD_PATH}';}else{document.getElementById('e').textContent='Refused ('+r.status+'): an admin token is needed.';}});});</script></body></html>`;

const DASHBOARD_ACCESS: readonly AccessRule[] = [{ kind: 'roles', roles: ['admin'] }];
const READ_METHODS = new Set(['GET', 'HEAD']);

/** The dashboard cookie: HttpOnly (no script reads the token), SameSite=Strict, Secure in production. */
export function staffTokenCookie(token: string, secure: boolean): string {
  return [
    `${STAFF_TOKEN_COOKIE}=${encodeURIComponent(token)}`,
    `Path=${QUEUE_DASHBOARD_PATH}`,
    'HttpOnly',
    'SameSite=Strict',
    ...(secure ? ['Secure'] : []),
  ].join('; ');
}

function tokenOf(request: FastifyRequest): string | null {
  const authorization = request.headers.authorization;
  const bearer = authorization ? /^Bearer\s+(\S+)\s*$/i.exec(authorization)?.[1] : undefined;
  if (bearer) return bearer;
  const cookie = request.headers.cookie
    ?.split(';')
    .map((part) => part.trim())
    .find((part) => part.startsWith(`${STAFF_TOKEN_COOKIE}=`));
  return cookie ? decodeURIComponent(cookie.slice(STAFF_TOKEN_COOKIE.length + 1)) : null;
}

function refuse(request: FastifyRequest, reply: FastifyReply, error: AppError): FastifyReply {
  const wantsPage = request.method === 'GET' && (request.headers.accept ?? '').includes('text/html');
  if (wantsPage && error.status === 401)
    return reply.code(401).type('text/html; charset=utf-8').send(LOGIN_PAGE);
  return reply.code(error.status).send(errorEnvelope(describeError(error), String(request.id)));
}

/**
 * The bull-board dashboard of every queue at /admin/queues, for staff with the admin role. It is a
 * Fastify plugin, not a Nest route, so it checks the same identity-service JWT itself. Read-only:
 * every queue is registered in bull-board's readOnlyMode and any method but GET/HEAD is refused
 * before bull-board sees it; jobs are retried or discarded through /v1/admin/queues, which audits.
 */
@Injectable()
export class QueueDashboard implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly jobs: JobQueue,
    private readonly jwt: JwtVerifier,
    private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    // The CLI runs the same modules without an HTTP server.
    const fastify = this.adapterHost.httpAdapter?.getInstance<FastifyInstance>();
    if (!fastify) return;
    const board = new FastifyAdapter();
    board.setBasePath(QUEUE_DASHBOARD_PATH);
    createBullBoard({
      queues: QUEUE_NAMES.map((name) => new BullMQAdapter(this.jobs.queue(name), { readOnlyMode: true })),
      serverAdapter: board,
      options: { uiConfig: { boardTitle: 'Astrix queues' } },
    });
    void fastify.register(async (scope) => {
      scope.get(LOGIN_PATH, async (_request, reply) =>
        reply.type('text/html; charset=utf-8').send(LOGIN_PAGE),
      );
      scope.post(LOGIN_PATH, async (request, reply) => {
        const token = tokenOf(request);
        if (!token) {
          return refuse(
            request,
            reply,
            new AppError(401, 'UNAUTHENTICATED', 'send an admin token to sign in'),
          );
        }
        try {
          authorize(DASHBOARD_ACCESS, this.jwt.verify(token));
        } catch (error) {
          return refuse(
            request,
            reply,
            error instanceof AppError ? error : new AppError(401, 'UNAUTHENTICATED', 'invalid token'),
          );
        }
        const secure = this.config.isProduction || request.protocol === 'https';
        return reply.code(204).header('set-cookie', staffTokenCookie(token, secure)).send();
      });
      scope.addHook('onRequest', async (request, reply) => {
        const path = request.url.split('?')[0];
        if (path === LOGIN_PATH) return;
        if (!READ_METHODS.has(request.method)) {
          return refuse(
            request,
            reply,
            new AppError(
              405,
              'METHOD_NOT_ALLOWED',
              'the queue dashboard is read-only; retry or discard jobs through /v1/admin/queues',
            ),
          );
        }
        const token = tokenOf(request);
        if (!token) {
          return refuse(
            request,
            reply,
            new AppError(401, 'UNAUTHENTICATED', 'the queue dashboard needs a staff token'),
          );
        }
        try {
          authorize(DASHBOARD_ACCESS, this.jwt.verify(token));
        } catch (error) {
          return refuse(
            request,
            reply,
            error instanceof AppError ? error : new AppError(401, 'UNAUTHENTICATED', 'invalid token'),
          );
        }
      });
      await scope.register(board.registerPlugin(), { prefix: QUEUE_DASHBOARD_PATH });
    });
  }
}
