import {
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
  OnModuleInit,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { AppConfig } from '../../../platform/config/app-config';
import { REQUEST_ID_HEADER, requestIdFor } from '../../../platform/http/request-id';
import {
  type RequestObserver,
  requestObserver,
  UNMATCHED_ROUTE,
} from '../../../platform/metrics/http-metrics';
import { MetricsRegistry } from '../../../platform/metrics/metrics-registry';
import type { AccessRule } from '../../../platform/auth/access.decorators';
import { ACCESS_EXTENSION } from '../../../platform/auth/access-docs';
import { authorize, Authenticator } from '../../../platform/auth/authenticator';
import { AppError } from '../../../platform/http/app-error';
import { type Described, describeError, errorEnvelope } from '../../../platform/http/error-envelope.filter';
import { readJsonBody } from '../../../platform/http/json-body';
import { documentRawRoute } from '../../../platform/http/raw-route-docs';
import { FEATURE_ID_PATTERN } from './usage-event-parser';
import { EntitlementsService } from './entitlements.service';

export const ENTITLEMENT_CHECK_PATH = '/v1/entitlements/check' as const;
const MAX_QUANTITY = 1_000_000_000_000;

function badRequest(field: string, message: string): AppError {
  return new AppError(400, 'VALIDATION_ERROR', `${field} ${message}`, [{ field, message }]);
}

/** Who may check: services holding `entitlements:read`, and support staff (admin included). */
const ENTITLEMENT_CHECK_ACCESS: readonly AccessRule[] = [
  { kind: 'scopes', scopes: ['entitlements:read'] },
  { kind: 'roles', roles: ['support'] },
];

/**
 * The body a check accepts, as documented; `parseCheck` accepts exactly the bodies this schema does
 * (entitlement-check.route.spec.ts compares them on generated input).
 */
export const ENTITLEMENT_CHECK_BODY = {
  type: 'object' as const,
  additionalProperties: false,
  required: ['customerId', 'featureId'],
  properties: {
    customerId: {
      type: 'string' as const,
      minLength: 1,
      maxLength: 200,
      description: 'Our customer id or the external reference',
    },
    featureId: { type: 'string' as const, pattern: FEATURE_ID_PATTERN.source },
    quantity: { type: 'integer' as const, minimum: 0, maximum: MAX_QUANTITY, default: 1 },
  },
};

documentRawRoute(ENTITLEMENT_CHECK_PATH, {
  post: {
    tags: ['entitlements'],
    summary:
      'May this customer use this feature now? Scope entitlements:read, or staff role support. No rate limit.',
    operationId: 'checkEntitlement',
    // Security and the error responses are derived from this by the document builder.
    ...{ [ACCESS_EXTENSION]: ENTITLEMENT_CHECK_ACCESS },
    requestBody: {
      required: true,
      content: {
        'application/json': {
          schema: ENTITLEMENT_CHECK_BODY,
        },
      },
    },
    responses: {
      '200': {
        description: 'The answer, with a machine-readable reason for every state',
        content: {
          // The contracts type the service answers with (a component generated from it).
          'application/json': { schema: { $ref: '#/components/schemas/EntitlementCheckResponse' } },
        },
      },
      '400': { description: 'Malformed body (error envelope)' },
      '401': { description: 'No or bad credentials (error envelope)' },
      '403': { description: 'Credentials without entitlements:read or support (error envelope)' },
    },
  },
});

export const ENTITLEMENT_BATCH_CHECK_PATH = '/v1/entitlements/check/batch';
const CHECK_PATHS = [ENTITLEMENT_CHECK_PATH, ENTITLEMENT_BATCH_CHECK_PATH] as const;
type CheckPath = (typeof CHECK_PATHS)[number];
/** Checks in one batch request (several features, several customers, or both). */
export const MAX_BATCH_CHECKS = 100;

/** Each check of a batch is a single check's body (the same schema, the same parser). */
const CHECK_ITEM_SCHEMA = ENTITLEMENT_CHECK_BODY;

documentRawRoute(ENTITLEMENT_BATCH_CHECK_PATH, {
  post: {
    tags: ['entitlements'],
    summary: `Several checks in one request (up to ${MAX_BATCH_CHECKS}: several features of a customer, several customers, or both); answers in the order asked. Scope entitlements:read, or staff role support. No rate limit.`,
    operationId: 'checkEntitlements',
    ...{ [ACCESS_EXTENSION]: ENTITLEMENT_CHECK_ACCESS },
    requestBody: {
      required: true,
      content: {
        'application/json': {
          schema: {
            type: 'object',
            additionalProperties: false,
            required: ['checks'],
            properties: {
              checks: { type: 'array', minItems: 1, maxItems: MAX_BATCH_CHECKS, items: CHECK_ITEM_SCHEMA },
            },
          },
        },
      },
    },
    responses: {
      '200': {
        description: 'One answer per check, in the order of `checks`, each as the single check answers',
        content: {
          'application/json': {
            schema: {
              type: 'object',
              required: ['data'],
              properties: {
                data: { type: 'array', items: { $ref: '#/components/schemas/EntitlementCheckResponse' } },
              },
            },
          },
        },
      },
      '400': { description: 'Malformed body, or a malformed check (error envelope naming checks[i])' },
      '401': { description: 'No or bad credentials (error envelope)' },
      '403': { description: 'Credentials without entitlements:read or support (error envelope)' },
    },
  },
});

/** The body of a batch check: `{checks: [{customerId, featureId, quantity?}, …]}`. */
export function parseBatchCheck(
  body: unknown,
): Array<{ customerId: string; featureId: string; quantity: number }> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new AppError(400, 'VALIDATION_ERROR', 'body must be {checks: [...]}');
  }
  const { checks, ...rest } = body as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length > 0) throw badRequest(unknown[0], 'is not allowed');
  if (!Array.isArray(checks) || checks.length === 0 || checks.length > MAX_BATCH_CHECKS) {
    throw badRequest('checks', `must be an array of 1 to ${MAX_BATCH_CHECKS} checks`);
  }
  return checks.map((item: unknown, index) => {
    try {
      return parseCheck(item);
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      const field = error.details?.[0]?.field;
      const message = error.details?.[0]?.message ?? 'must be {customerId, featureId, quantity?}';
      throw badRequest(field ? `checks[${index}].${field}` : `checks[${index}]`, message);
    }
  });
}

/** The body of a check: `{customerId, featureId, quantity?}`, checked by hand (three fields). */
export function parseCheck(body: unknown): { customerId: string; featureId: string; quantity: number } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new AppError(400, 'VALIDATION_ERROR', 'body must be {customerId, featureId, quantity?}');
  }
  const { customerId, featureId, quantity, ...rest } = body as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length > 0) throw badRequest(unknown[0], 'is not allowed');
  if (typeof customerId !== 'string' || customerId.length === 0 || customerId.length > 200) {
    throw badRequest('customerId', 'must be a non-empty string of at most 200 characters');
  }
  if (customerId.includes('\u0000')) throw badRequest('customerId', 'must not contain a NUL character');
  if (typeof featureId !== 'string' || !FEATURE_ID_PATTERN.test(featureId)) {
    throw badRequest('featureId', 'must be a feature id');
  }
  if (
    quantity !== undefined &&
    (typeof quantity !== 'number' ||
      !Number.isSafeInteger(quantity) ||
      quantity < 0 ||
      quantity > MAX_QUANTITY)
  ) {
    throw badRequest('quantity', `must be an integer from 0 to ${MAX_QUANTITY}`);
  }
  return { customerId, featureId, quantity: quantity ?? 1 };
}

/**
 * `POST /v1/entitlements/check` as a Fastify route of its own: the one endpoint with a throughput
 * target, which Nest's pipeline (router, guards, interceptors, pipes) would cut to a third. It keeps
 * everything that matters of that pipeline: the same credentials through the same services (API keys,
 * identity JWTs), the same access rule (scope `entitlements:read`, or staff role support), the same
 * error envelope and request id, no rate limit (as the usage intake).
 *
 * With ENTITLEMENT_CHECK_PORT set, the API also answers the two check routes (and nothing else) on a
 * `node:http` listener of their own, without Fastify and without the hooks every API route pays for
 * (request logging, client origin, input guard, tracing): for services that check on every request
 * of theirs. The request-duration histogram, the request id header, the body limit and the refusals
 * of bad bodies are kept there, with the same statuses and envelope. See
 * docs/adr/0005-usage-and-entitlements.md.
 */
@Injectable()
export class EntitlementCheckRoute implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('http');
  private checkServer: Server | null = null;

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly authenticator: Authenticator,
    private readonly entitlements: EntitlementsService,
    private readonly config: AppConfig,
    private readonly metrics: MetricsRegistry,
  ) {}

  onModuleInit(): void {
    // Worker processes have no HTTP server.
    const fastify = this.httpServer();
    if (!fastify) return;
    // The API's own listener records every request's duration in its onResponse hook.
    this.registerRoutes(fastify);
    this.entitlements.listenForChanges();
  }

  /** Starts the checks' own listener when ENTITLEMENT_CHECK_PORT is set (API processes only). */
  async onApplicationBootstrap(): Promise<void> {
    const port = this.config.entitlementCheckPort;
    if (port === null || !this.httpServer() || this.checkServer) return;
    const observe = requestObserver(this.metrics);
    const server = createServer((request, response) => {
      this.serve(request, response, observe).catch((error: unknown) => {
        // Only writing the answer can throw here (refusals are answers): the connection is dropped.
        this.logger.error({ err: error, requestId: requestIdFor(request) }, 'entitlement check not answered');
        response.destroy();
      });
    });
    // As Fastify's default: clients that keep connections for a minute are not cut off under them.
    server.keepAliveTimeout = 72_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, this.config.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.checkServer = server;
    this.logger.log(`entitlement checks also on port ${this.checkPort() ?? port}`);
  }

  /** The port of the checks' own listener (the one chosen when ENTITLEMENT_CHECK_PORT=0); null when off. */
  checkPort(): number | null {
    const address = this.checkServer?.address();
    return address && typeof address === 'object' ? (address as AddressInfo).port : null;
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.checkServer;
    this.checkServer = null;
    if (!server) return;
    const closed = new Promise((resolve) => server.close(resolve));
    // Kept-alive connections with no request in flight would hold close() open.
    server.closeIdleConnections();
    await closed;
  }

  private httpServer(): FastifyInstance | null {
    const fastify = this.adapterHost.httpAdapter?.getInstance<FastifyInstance>();
    return fastify && typeof fastify.post === 'function' ? fastify : null;
  }

  /** The two routes on the API's own listener, whose hooks record durations and refuse bad bodies. */
  private registerRoutes(fastify: FastifyInstance): void {
    for (const path of CHECK_PATHS) {
      fastify.post(path, async (request, reply) => {
        void reply.header(REQUEST_ID_HEADER, request.id);
        try {
          return await this.answer(path, request.headers, request.body);
        } catch (error) {
          const described = this.described(error, String(request.id));
          return reply.status(described.status).send(errorEnvelope(described, String(request.id)));
        }
      });
    }
  }

  /**
   * A request on the checks' own listener: plain `node:http`, no framework. Fastify's own work per
   * request (routing, request and reply objects, the parser chain) cost the API process more CPU than
   * the check itself on this machine kind (docs/adr/0005-usage-and-entitlements.md), and these two
   * routes need none of it. The duration is taken when the answer is ready, before it is written.
   */
  private async serve(
    request: IncomingMessage,
    response: ServerResponse,
    observe: RequestObserver,
  ): Promise<void> {
    const started = performance.now();
    const requestId = requestIdFor(request);
    const method = request.method ?? 'GET';
    const url = request.url ?? '/';
    const query = url.indexOf('?');
    const path = query === -1 ? url : url.slice(0, query);
    const route = method === 'POST' ? CHECK_PATHS.find((known) => known === path) : undefined;
    let status = 200;
    let payload: string;
    try {
      if (route === undefined) {
        throw new AppError(404, 'NOT_FOUND', `${method} ${path.slice(0, 200)} is not a route of this port`);
      }
      const body = await readJsonBody(request, this.config.httpBodyLimitBytes);
      payload = JSON.stringify(await this.answer(route, request.headers, body));
    } catch (error) {
      const described = this.described(error, requestId);
      status = described.status;
      payload = JSON.stringify(errorEnvelope(described, requestId));
      // A body refused before it was read to its end is not read on: the connection closes after the answer.
      if (!request.complete) response.setHeader('connection', 'close');
    }
    observe(route ?? UNMATCHED_ROUTE, method, status, (performance.now() - started) / 1000);
    response.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(payload),
      [REQUEST_ID_HEADER]: requestId,
    });
    response.end(payload);
  }

  /** The answer to a check route's body; an AppError for bad credentials, access or input. */
  private async answer(path: CheckPath, headers: IncomingHttpHeaders, body: unknown): Promise<unknown> {
    // An API key resolved moments ago is known without waiting (no await, no promise).
    const known = this.authenticator.knownActor(headers);
    authorize(ENTITLEMENT_CHECK_ACCESS, known ?? (await this.authenticator.authenticate(headers)));
    if (path === ENTITLEMENT_CHECK_PATH) {
      const { customerId, featureId, quantity } = parseCheck(body);
      return this.entitlements.check(customerId, featureId, quantity);
    }
    const checks = parseBatchCheck(body);
    // Checks started in the same turn share one sync, and one statement for what memory lacks.
    const data = await Promise.all(
      checks.map((item) => this.entitlements.check(item.customerId, item.featureId, item.quantity)),
    );
    return { data };
  }

  /** The error as the envelope describes it; a server error is logged with the request id. */
  private described(error: unknown, requestId: string): Described {
    const described = describeError(error);
    if (described.status >= 500) this.logger.error({ err: error, requestId }, 'unhandled error');
    return described;
  }
}
