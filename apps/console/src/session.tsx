import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react';
import { type StaffRole, STAFF_ROLES } from './permissions';

export interface Session {
  token: string;
  sub: string;
  roles: StaffRole[];
  /** Minted by the sandbox sign-in (shown as such in the header). */
  sandbox: boolean;
  expiresAt: number | null;
}

const STORAGE_KEY = 'astrix-console-session';

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

function load(): Session | null {
  const raw = sessionStorage.getItem(STORAGE_KEY);
  if (!raw) return null;
  try {
    const session = JSON.parse(raw) as Session;
    if (session.expiresAt !== null && session.expiresAt < Date.now()) return null;
    return session;
  } catch {
    return null;
  }
}

interface SessionContextValue {
  session: Session | null;
  signIn(session: Session): void;
  signOut(): void;
}

const SessionContext = createContext<SessionContextValue | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [session, setSession] = useState<Session | null>(load);
  const signIn = useCallback((next: Session) => {
    sessionStorage.setItem(STORAGE_KEY, JSON.stringify(next));
    setSession(next);
  }, []);
  const signOut = useCallback(() => {
    sessionStorage.removeItem(STORAGE_KEY);
    setSession(null);
  }, []);
  const value = useMemo(() => ({ session, signIn, signOut }), [session, signIn, signOut]);
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionContextValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession outside SessionProvider');
  return value;
}

/** The signed-in session; only for pages behind the sign-in. */
export function useSignedIn(): Session {
  const { session } = useSession();
  if (!session) throw new Error('not signed in');
  return session;
}
