import { Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { AppConfig } from '../config/app-config';
import { AppError } from '../http/app-error';
import type { UserActor } from './actor';

interface IdentityClaims {
  sub?: unknown;
  email?: unknown;
  roles?: unknown;
  exp?: unknown;
}

const unauthenticated = (message: string): AppError => new AppError(401, 'UNAUTHENTICATED', message);

/** Verifies identity-service JWTs (HS256 secret or RS256 public key) and turns them into a user actor. */
@Injectable()
export class JwtVerifier {
  private readonly jwt = new JwtService();

  constructor(private readonly config: AppConfig) {}

  async verify(token: string): Promise<UserActor> {
    const settings = this.config.jwt;
    let claims: IdentityClaims;
    try {
      claims = await this.jwt.verifyAsync<IdentityClaims & object>(token, {
        algorithms: [settings.algorithm],
        ...(settings.algorithm === 'HS256' ? { secret: settings.secret } : { publicKey: settings.publicKey }),
        ...(settings.issuer ? { issuer: settings.issuer } : {}),
        ...(settings.audience ? { audience: settings.audience } : {}),
      });
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
    };
  }
}
