import { Injectable } from '@nestjs/common';
import type { IncomingHttpHeaders } from 'node:http';
import { AppError } from '../http/app-error';
import type { Actor } from './actor';
import type { AccessRule } from './access.decorators';
import { ApiKeysService } from './api-keys.service';
import { JwtVerifier } from './jwt-verifier';
import { STREAM_TOKEN } from './stream-tokens';

const API_KEY_PREFIX = /^ak_(live|test)_/;

export function allows(rule: AccessRule, actor: Actor): boolean {
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
    case 'streamToken':
      return actor.kind === 'user';
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
    case 'streamToken':
      return 'a stream token';
  }
}

/** 403 unless one of the rules lets the actor in. */
export function authorize(rules: readonly AccessRule[], actor: Actor): void {
  if (!rules.some((rule) => allows(rule, actor))) {
    throw new AppError(403, 'FORBIDDEN', `this endpoint requires ${rules.map(describeRule).join(' or ')}`);
  }
}

/**
 * Who is calling: `X-Api-Key`, or `Authorization: Bearer` with an API key or an identity JWT.
 * The global AuthGuard and the routes served outside Nest's pipeline share it.
 */
@Injectable()
export class Authenticator {
  constructor(
    private readonly jwtVerifier: JwtVerifier,
    private readonly apiKeys: ApiKeysService,
  ) {}

  /**
   * The caller when known without waiting: an API key this process resolved moments ago
   * (ApiKeysService.cachedActor), presented as `authenticate` reads credentials. Undefined for anything
   * else, which `authenticate` then decides; a malformed Authorization header is refused here as there.
   */
  knownActor(headers: IncomingHttpHeaders): Actor | undefined {
    const credential = credentialOf(headers);
    return credential === null ? undefined : this.apiKeys.cachedActor(credential);
  }

  async authenticate(headers: IncomingHttpHeaders): Promise<Actor> {
    const credential = credentialOf(headers);
    if (!credential) {
      throw new AppError(
        401,
        'UNAUTHENTICATED',
        'missing credentials: send Authorization: Bearer <token or API key>',
      );
    }
    if (credential.startsWith(STREAM_TOKEN.prefix)) {
      throw new AppError(
        401,
        'UNAUTHENTICATED',
        'a stream token is accepted only as ?token= on GET /v1/billing/stream, never as a credential elsewhere',
      );
    }
    if (API_KEY_PREFIX.test(credential)) {
      const service = await this.apiKeys.authenticate(credential);
      if (!service)
        throw new AppError(401, 'UNAUTHENTICATED', 'API key is invalid or revoked, or has expired');
      return service;
    }
    return this.jwtVerifier.verify(credential);
  }
}

function credentialOf(headers: IncomingHttpHeaders): string | null {
  const apiKeyHeader = headers['x-api-key'];
  if (typeof apiKeyHeader === 'string' && apiKeyHeader.length > 0) return apiKeyHeader.trim();
  const authorization = headers.authorization;
  if (!authorization) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  if (!match)
    throw new AppError(401, 'UNAUTHENTICATED', 'Authorization header must be "Bearer <credential>"');
  return match[1];
}
