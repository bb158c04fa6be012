import { type StaffRole, STAFF_ROLES } from './permissions';

export interface Session {
  token: string;
  sub: string;
  roles: StaffRole[];
  /** Minted by the sandbox sign-in (shown as such in the header). */
  sandbox: boolean;
  expiresAt: number | null;
}

/** The claims of a JWT, read without verifying it: the API verifies every request. */
export function sessionFromToken(token: string, sandbox: boolean): Session {
  const parts = token.trim().split('.');
  if (parts.length !== 3) throw new Error('This is not a JWT (three dot-separated parts).');
  let claims: { sub?: unknown; roles?: unknown; exp?: unknown };
  try {
    const json = atob(parts[1].replace(/-/g, '+').replace(/_/g, '/'));
    claims = JSON.parse(json) as typeof claims;
  } catch {
    throw new Error('The token payload is not readable JSON.');
  }
  const roles = Array.isArray(claims.roles)
    ? claims.roles.filter((role): role is StaffRole => (STAFF_ROLES as readonly unknown[]).includes(role))
    : [];
  if (roles.length === 0) throw new Error('The token holds no staff role (support, finance or admin).');
  return {
    token: token.trim(),
    sub: typeof claims.sub === 'string' ? claims.sub : 'unknown',
    roles,
    sandbox,
    expiresAt: typeof claims.exp === 'number' ? claims.exp * 1000 : null,
  };
}
