import { generateKeyPairSync } from 'node:crypto';
import { sign } from 'jsonwebtoken';

export const TEST_JWT_SECRET = 'test-secret-that-is-long-enough-for-hs256-ok';

export interface TokenOptions {
  sub?: string;
  roles?: string[];
  email?: string;
  expiresInSeconds?: number;
  secret?: string;
  privateKey?: string;
  issuer?: string;
  audience?: string;
  omitExp?: boolean;
}

/** Signs a token the way the identity service does (HS256 by default, RS256 with privateKey). */
export function signToken(options: TokenOptions = {}): string {
  const claims = {
    sub: options.sub ?? 'user_test',
    roles: options.roles ?? [],
    email: options.email ?? 'trader@example.com',
  };
  return sign(claims, options.privateKey ?? options.secret ?? TEST_JWT_SECRET, {
    algorithm: options.privateKey ? 'RS256' : 'HS256',
    ...(options.omitExp ? {} : { expiresIn: options.expiresInSeconds ?? 600 }),
    ...(options.issuer ? { issuer: options.issuer } : {}),
    ...(options.audience ? { audience: options.audience } : {}),
  });
}

export function rsaKeyPair(): { publicKey: string; privateKey: string } {
  return generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
}
