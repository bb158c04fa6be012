import { Injectable } from '@nestjs/common';
import { Clock } from '../clock';
import { AppConfig } from '../config/app-config';
import { signToken, type TokenPurpose, verifyToken } from '../crypto/signed-token';
import { AppError } from '../http/app-error';
import type { UserActor } from './actor';

interface StreamClaims {
  sub: string;
  roles: string[];
}

/**
 * A stream token: `sst_…`, minted for a signed-in user and accepted only as `?token=` on
 * `GET /v1/billing/stream` (browsers' EventSource cannot send Authorization). Its own signing key
 * and prefix: it never verifies as a hosted invoice link, and the Authenticator refuses it as a
 * bearer credential.
 */
export const STREAM_TOKEN: TokenPurpose<StreamClaims> = {
  prefix: 'sst_',
  name: 'event stream v1',
  parse: (claims) =>
    typeof claims.sub === 'string' &&
    claims.sub.length > 0 &&
    Array.isArray(claims.roles) &&
    claims.roles.every((role) => typeof role === 'string')
      ? { sub: claims.sub, roles: claims.roles as string[] }
      : null,
};

export const STREAM_TOKENS_ROUTE = 'POST /v1/billing/stream-tokens';

@Injectable()
export class StreamTokens {
  constructor(
    private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  /** A token standing for this user (and the staff roles they hold now) on the stream only. */
  mint(actor: UserActor): { token: string; expiresAt: string } {
    const expiresAt = new Date(this.clock.now().getTime() + this.config.signedTokenLifetimes.streamTokenMs);
    const [secret] = this.config.tokenSigningSecrets;
    const token = signToken(secret, STREAM_TOKEN, { sub: actor.userId, roles: actor.roles }, expiresAt);
    return { token, expiresAt: new Date(Math.floor(expiresAt.getTime() / 1000) * 1000).toISOString() };
  }

  /** The user the token stands for; 401 naming what is wrong with it otherwise. */
  verify(token: string): UserActor {
    const result = verifyToken(this.config.tokenSigningSecrets, STREAM_TOKEN, token, this.clock.now());
    if (result.ok)
      return { kind: 'user', userId: result.claims.sub, email: null, roles: result.claims.roles };
    switch (result.reason) {
      case 'malformed':
        throw new AppError(
          401,
          'UNAUTHENTICATED',
          `stream token is malformed: mint one with ${STREAM_TOKENS_ROUTE}`,
        );
      case 'bad_signature':
        throw new AppError(401, 'UNAUTHENTICATED', 'stream token signature does not match');
      case 'expired':
        throw new AppError(
          401,
          'UNAUTHENTICATED',
          `stream token expired at ${result.expiresAt.toISOString()}: mint a new one with ${STREAM_TOKENS_ROUTE}`,
        );
    }
  }
}
