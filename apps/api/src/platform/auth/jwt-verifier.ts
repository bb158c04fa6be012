import { createPublicKey, createSecretKey, KeyObject } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { verify, VerifyOptions } from 'jsonwebtoken';
import { AppConfig } from '../config/app-config';
import { AppError } from '../http/app-error';
import type { UserActor } from './actor';

interface IdentityClaims {
  sub?: unknown;
  email?: unknown;
  roles?: unknown;
  country?: unknown;
  exp?: unknown;
}

const unauthenticated = (message: string): AppError => new AppError(401, 'UNAUTHENTICATED', message);

/** Verifies identity-service JWTs (HS256 secret or RS256 public key) and turns them into a user actor. */
@Injectable()
export class JwtVerifier {
  /** Built once: handing jsonwebtoken a string makes it re-derive (and first mis-parse) the key per call. */
  private readonly key: KeyObject;
  private readonly options: VerifyOptions;

  constructor(config: AppConfig) {
    const settings = config.jwt;
    this.key =
      settings.algorithm === 'HS256'
        ? createSecretKey(Buffer.from(settings.secret, 'utf8'))
        : createPublicKey(settings.publicKey);
    this.options = {
      algorithms: [settings.algorithm],
      ...(settings.issuer ? { issuer: settings.issuer } : {}),
      ...(settings.audience ? { audience: settings.audience } : {}),
    };
  }

  verify(token: string): UserActor {
    let claims: IdentityClaims;
    try {
      claims = verify(token, this.key, this.options) as IdentityClaims;
      if (typeof claims !== 'object' || claims === null) throw new Error('payload is not an object');
    } catch (error) {
      const name = (error as Error).name;
      if (name === 'TokenExpiredError') throw unauthenticated('token has expired');
      throw unauthenticated(`invalid token: ${(error as Error).message}`);
    }
    // jsonwebtoken accepts tokens without exp; identity-service tokens always carry one.
    if (typeof claims.exp !== 'number') throw unauthenticated('invalid token: exp claim is required');
    if (typeof claims.sub !== 'string' || claims.sub.length === 0 || claims.sub.length > 128) {
      throw unauthenticated('invalid token: sub claim must be a non-empty string');
    }
    if (
      claims.roles !== undefined &&
      !(Array.isArray(claims.roles) && claims.roles.every((r) => typeof r === 'string'))
    ) {
      throw unauthenticated('invalid token: roles claim must be an array of strings');
    }
    return {
      kind: 'user',
      userId: claims.sub,
      email: typeof claims.email === 'string' ? claims.email : null,
      roles: (claims.roles as string[] | undefined) ?? [],
      ...(typeof claims.country === 'string' && /^[A-Za-z]{2}$/.test(claims.country)
        ? { country: claims.country.toUpperCase() }
        : {}),
    };
  }
}
