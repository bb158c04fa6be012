import { createParamDecorator, CustomDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import type { ApiKeyScope } from '@astrix/contracts';
import type { FastifyRequest } from 'fastify';
import type { Actor, RequestContext, StaffRole } from './actor';

export const ACCESS_METADATA = 'astrix:access';

/** Who may call an endpoint. Every route declares one; the guard refuses routes that do not. */
export type AccessRule =
  | { kind: 'public' }
  | { kind: 'user' }
  | { kind: 'roles'; roles: StaffRole[] }
  | { kind: 'scopes'; scopes: ApiKeyScope[] }
  /** A signed-in user by a stream token in `?token=` (platform/auth/stream-tokens.ts), for EventSource. */
  | { kind: 'streamToken' };

const declare = (rules: AccessRule[]): CustomDecorator => SetMetadata(ACCESS_METADATA, rules);

/** No credentials needed: health, docs, Stripe webhooks (which verify their own signature). */
export const Public = (): CustomDecorator => declare([{ kind: 'public' }]);

/** Any signed-in web-app user (trader or staff). */
export const UserAuth = (): CustomDecorator => declare([{ kind: 'user' }]);

/**
 * A signed-in user with a bearer JWT, or with a stream token in `?token=` (EventSource cannot send
 * headers). Only routes declaring this read the query token; everywhere else it is refused.
 */
export const UserOrStreamToken = (): CustomDecorator => declare([{ kind: 'user' }, { kind: 'streamToken' }]);

/** Staff holding at least one of these roles; `admin` may do everything. */
export const Roles = (...roles: StaffRole[]): CustomDecorator => declare([{ kind: 'roles', roles }]);

/** A sibling service whose API key holds every one of these scopes. */
export const Scopes = (...scopes: ApiKeyScope[]): CustomDecorator => declare([{ kind: 'scopes', scopes }]);

/** Several ways in, e.g. staff roles or a service scope. */
export const Access = (...rules: AccessRule[]): CustomDecorator => declare(rules);

export type AuthenticatedRequest = FastifyRequest & { actor?: Actor };

export const CurrentActor = createParamDecorator((_data: unknown, context: ExecutionContext): Actor => {
  const actor = context.switchToHttp().getRequest<AuthenticatedRequest>().actor;
  if (!actor) throw new Error('CurrentActor used on a route without authentication');
  return actor;
});

/** Actor plus request id, for services that audit and emit events. */
export const CurrentContext = createParamDecorator(
  (_data: unknown, context: ExecutionContext): RequestContext => {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    if (!request.actor) throw new Error('CurrentContext used on a route without authentication');
    return { actor: request.actor, requestId: String(request.id) };
  },
);
