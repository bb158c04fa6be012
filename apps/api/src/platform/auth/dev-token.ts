import { sign } from 'jsonwebtoken';
import { AppConfig } from '../config/app-config';
import { STAFF_ROLES, type StaffRole } from './actor';

export interface DevTokenClaims {
  sub: string;
  roles: string[];
  email?: string;
  ttlSeconds: number;
}

/** Why dev tokens cannot be minted here, or null when they can (sandbox/dev opt-in, HS256). */
export function devTokensRefusedBecause(config: AppConfig): string | null {
  if (!config.insecureDefaultsAllowed) {
    return 'dev tokens are refused unless NODE_ENV=development or test, or ASTRIX_SANDBOX=true';
  }
  if (config.jwt.algorithm !== 'HS256') {
    return 'dev tokens need AUTH_JWT_SECRET (HS256); with AUTH_JWT_PUBLIC_KEY the identity service mints tokens';
  }
  return null;
}

/** Signs a token the API accepts, as the identity service would; callers check the opt-in first. */
export async function mintDevToken(config: AppConfig, claims: DevTokenClaims): Promise<string> {
  const settings = config.jwt;
  const refused = devTokensRefusedBecause(config);
  if (refused || settings.algorithm !== 'HS256') throw new Error(refused ?? 'HS256 only');
  return sign(
    { sub: claims.sub, roles: claims.roles, ...(claims.email ? { email: claims.email } : {}) },
    settings.secret,
    {
      algorithm: 'HS256',
      expiresIn: claims.ttlSeconds,
      ...(settings.issuer ? { issuer: settings.issuer } : {}),
      ...(settings.audience ? { audience: settings.audience } : {}),
    },
  );
}

export const DEV_TOKEN_ROLES: readonly StaffRole[] = STAFF_ROLES;
