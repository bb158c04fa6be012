import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AppError } from '../http/app-error';
import type { Actor } from './actor';
import { ACCESS_METADATA, AccessRule, AuthenticatedRequest } from './access.decorators';
import { ApiKeysService } from './api-keys.service';
import { JwtVerifier } from './jwt-verifier';

const API_KEY_PREFIX = /^ak_(live|test)_/;

function allows(rule: AccessRule, actor: Actor): boolean {
  switch (rule.kind) {
    case 'public':
      return true;
    case 'user':
      return actor.kind === 'user';
    case 'roles':
      return (
        actor.kind === 'user' &&
        (actor.roles.includes('admin') || rule.roles.some((role) => actor.roles.includes(role)))
      );
    case 'scopes':
      return actor.kind === 'service' && rule.scopes.every((scope) => actor.scopes.includes(scope));
  }
}

function describeRule(rule: AccessRule): string {
  switch (rule.kind) {
    case 'public':
      return 'anyone';
    case 'user':
      return 'a signed-in user';
    case 'roles':
      return `staff role ${rule.roles.join(' or ')}`;
    case 'scopes':
      return `an API key with scope ${rule.scopes.join(' and ')}`;
  }
}

/**
 * Global guard: authenticates the caller (user JWT or service API key) and enforces the route's
 * declared access rule. A route that declares nothing is refused: access is never implicit.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly jwtVerifier: JwtVerifier,
    private readonly apiKeys: ApiKeysService,
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
    const actor = await this.authenticate(request);
    request.actor = actor;
    if (!rules.some((rule) => allows(rule, actor))) {
      throw new AppError(403, 'FORBIDDEN', `this endpoint requires ${rules.map(describeRule).join(' or ')}`);
    }
    return true;
  }

  private async authenticate(request: AuthenticatedRequest): Promise<Actor> {
    const credential = this.credentialOf(request);
    if (!credential) {
      throw new AppError(
        401,
        'UNAUTHENTICATED',
        'missing credentials: send Authorization: Bearer <token or API key>',
      );
    }
    if (API_KEY_PREFIX.test(credential)) {
      const service = await this.apiKeys.authenticate(credential);
      if (!service) throw new AppError(401, 'UNAUTHENTICATED', 'API key is invalid or revoked');
      return service;
    }
    return this.jwtVerifier.verify(credential);
  }

  private credentialOf(request: AuthenticatedRequest): string | null {
    const apiKeyHeader = request.headers['x-api-key'];
    if (typeof apiKeyHeader === 'string' && apiKeyHeader.length > 0) return apiKeyHeader.trim();
    const authorization = request.headers.authorization;
    if (!authorization) return null;
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (!match)
      throw new AppError(401, 'UNAUTHENTICATED', 'Authorization header must be "Bearer <credential>"');
    return match[1];
  }
}
