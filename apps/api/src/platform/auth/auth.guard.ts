import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AppError } from '../http/app-error';
import { ACCESS_METADATA, AccessRule, AuthenticatedRequest } from './access.decorators';
import { authorize, Authenticator } from './authenticator';
import { StreamTokens } from './stream-tokens';

/**
 * Global guard: authenticates the caller (user JWT or service API key) and enforces the route's
 * declared access rule. A route that declares nothing is refused: access is never implicit.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly authenticator: Authenticator,
    private readonly streamTokens: StreamTokens,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const rules = this.reflector.getAllAndOverride<AccessRule[] | undefined>(ACCESS_METADATA, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (!rules || rules.length === 0) {
      throw new AppError(403, 'FORBIDDEN', 'this endpoint declares no access rule and is closed');
    }
    if (rules.some((rule) => rule.kind === 'public')) return true;

    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const streamToken = rules.some((rule) => rule.kind === 'streamToken')
      ? (request.query as Record<string, unknown> | undefined)?.token
      : undefined;
    const actor =
      streamToken !== undefined
        ? this.streamTokens.verify(typeof streamToken === 'string' ? streamToken : '')
        : await this.authenticator.authenticate(request.headers);
    request.actor = actor;
    authorize(rules, actor);
    return true;
  }
}
