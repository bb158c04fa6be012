import type { StoredApiKeyScope } from '@astrix/contracts';

export const STAFF_ROLES = ['support', 'finance', 'admin'] as const;
export type StaffRole = (typeof STAFF_ROLES)[number];

/** A person signed in through the identity service: a trader, or staff when they hold staff roles. */
export interface UserActor {
  kind: 'user';
  userId: string;
  email: string | null;
  roles: string[];
  /** ISO 3166 country of the user's profile, when the identity service states it. */
  country?: string | null;
}

/** A sibling service calling with an API key. */
export interface ServiceActor {
  kind: 'service';
  apiKeyId: string;
  name: string;
  /** Retired scopes an older key may hold grant nothing: no route asks for them. */
  scopes: StoredApiKeyScope[];
}

export type Actor = UserActor | ServiceActor;

/** The id that owns per-caller state (idempotency keys, rate limits, audit rows). */
export function actorId(actor: Actor): string {
  switch (actor.kind) {
    case 'user':
      return `user:${actor.userId}`;
    case 'service':
      return `apikey:${actor.apiKeyId}`;
  }
}

export type SystemActor = { kind: 'system'; name: string };

/** How an actor is named in audit rows and `createdBy` fields. */
export function actorReference(actor: Actor | SystemActor): {
  type: 'user' | 'service' | 'system';
  id: string;
} {
  switch (actor.kind) {
    case 'user':
      return { type: 'user', id: actor.userId };
    case 'service':
      return { type: 'service', id: actor.apiKeyId };
    case 'system':
      return { type: 'system', id: actor.name };
  }
}

/** The actor as one string, e.g. `user:trader_1`, `service:key_…`, `system:billing-run`. */
export function actorLabel(actor: Actor | SystemActor): string {
  const reference = actorReference(actor);
  return `${reference.type}:${reference.id}`;
}

/** Who did it, and under which request: passed from controllers into services for audit and events. */
export interface RequestContext {
  actor: Actor | SystemActor;
  requestId: string | null;
}
