import {
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
  OnModuleInit,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
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
import { describeError, errorEnvelope } from '../../../platform/http/error-envelope.filter';
import { documentRawRoute } from '../../../platform/http/raw-route-docs';
import { FEATURE_ID_PATTERN } from './usage-event-parser';
import { EntitlementsService } from './entitlements.service';

export const ENTITLEMENT_CHECK_PATH = '/v1/entitlements/check';
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
 * listener of their own, without the hooks every API route pays for (request logging, client origin,
 * input guard, tracing): for services that check on every request of theirs. Only the request-duration
 * histogram and the request id header are kept there, both set by the handlers (no hook runs): the
 * duration there is taken when the answer is ready, before it is written. See
 * docs/adr/0005-usage-and-entitlements.md.
 */
@Injectable()
export class EntitlementCheckRoute implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('http');
  private checkServer: FastifyInstance | null = null;

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
    this.registerRoutes(fastify, null);
    this.entitlements.listenForChanges();
  }

  /** Starts the checks' own listener when ENTITLEMENT_CHECK_PORT is set (API processes only). */
  async onApplicationBootstrap(): Promise<void> {
    const port = this.config.entitlementCheckPort;
    if (port === null || !this.httpServer() || this.checkServer) return;
    const server = Fastify({
      logger: false,
      bodyLimit: this.config.httpBodyLimitBytes,
      genReqId: requestIdFor,
      requestIdHeader: false,
      forceCloseConnections: 'idle',
    });
    const observe = requestObserver(this.metrics);
    this.registerRoutes(server, observe);
    // The request id header and the duration are set by the handlers and by refuse() (refusals, 404s,
    // unparsable bodies) rather than by onSend and onResponse hooks, which would cost each check two
    // hook runs.
    server.setNotFoundHandler((request, reply) =>
      this.refuse(
        new AppError(
          404,
          'NOT_FOUND',
          `${request.method} ${request.url.split('?')[0]} is not a route of this port`,
        ),
        request,
        reply,
        observe,
      ),
    );
    // Body parsing (media type, malformed JSON, size) fails before the handlers: same envelope.
    server.setErrorHandler((error, request, reply) => this.refuse(error, request, reply, observe));
    await server.listen({ port, host: this.config.host });
    this.checkServer = server;
    this.logger.log(`entitlement checks also on port ${this.checkPort() ?? port}`);
  }

  /** The port of the checks' own listener (the one chosen when ENTITLEMENT_CHECK_PORT=0); null when off. */
  checkPort(): number | null {
    const address = this.checkServer?.server.address();
    return address && typeof address === 'object' ? (address as AddressInfo).port : null;
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.checkServer;
    this.checkServer = null;
    await server?.close();
  }

  private httpServer(): FastifyInstance | null {
    const fastify = this.adapterHost.httpAdapter?.getInstance<FastifyInstance>();
    return fastify && typeof fastify.post === 'function' ? fastify : null;
  }

  /** `observe`: where the handlers record each request's duration; null where a hook does. */
  private registerRoutes(fastify: FastifyInstance, observe: RequestObserver | null): void {
    fastify.post(ENTITLEMENT_CHECK_PATH, (request, reply) => this.handle(request, reply, observe));
    fastify.post(ENTITLEMENT_BATCH_CHECK_PATH, (request, reply) => this.handleBatch(request, reply, observe));
  }

  private async handleBatch(
    request: FastifyRequest,
    reply: FastifyReply,
    observe: RequestObserver | null,
  ): Promise<unknown> {
    void reply.header(REQUEST_ID_HEADER, request.id);
    try {
      // An API key resolved moments ago is known without waiting (no await, no promise).
      const known = this.authenticator.knownActor(request.headers);
      authorize(ENTITLEMENT_CHECK_ACCESS, known ?? (await this.authenticator.authenticate(request.headers)));
      const checks = parseBatchCheck(request.body);
      // Checks started in the same turn share one sync, and one statement for what memory lacks.
      const data = await Promise.all(
        checks.map((item) => this.entitlements.check(item.customerId, item.featureId, item.quantity)),
      );
      observe?.(ENTITLEMENT_BATCH_CHECK_PATH, 'POST', 200, reply.elapsedTime / 1000);
      return { data };
    } catch (error) {
      return this.refuse(error, request, reply, observe);
    }
  }

  private async handle(
    request: FastifyRequest,
    reply: FastifyReply,
    observe: RequestObserver | null,
  ): Promise<unknown> {
    void reply.header(REQUEST_ID_HEADER, request.id);
    try {
      // An API key resolved moments ago is known without waiting (no await, no promise).
      const known = this.authenticator.knownActor(request.headers);
      authorize(ENTITLEMENT_CHECK_ACCESS, known ?? (await this.authenticator.authenticate(request.headers)));
      const { customerId, featureId, quantity } = parseCheck(request.body);
      const answer = await this.entitlements.check(customerId, featureId, quantity);
      observe?.(ENTITLEMENT_CHECK_PATH, 'POST', 200, reply.elapsedTime / 1000);
      return answer;
    } catch (error) {
      return this.refuse(error, request, reply, observe);
    }
  }

  /** The error envelope with the request id; a server error is logged with it. */
  private refuse(
    error: unknown,
    request: FastifyRequest,
    reply: FastifyReply,
    observe: RequestObserver | null = null,
  ): FastifyReply {
    const described = describeError(error);
    if (described.status >= 500) this.logger.error({ err: error, requestId: request.id }, 'unhandled error');
    observe?.(
      request.routeOptions.url ?? UNMATCHED_ROUTE,
      request.method,
      described.status,
      reply.elapsedTime / 1000,
    );
    void reply.header(REQUEST_ID_HEADER, request.id);
    return reply.status(described.status).send(errorEnvelope(described, String(request.id)));
  }
}
