import { allowsInsecureDefaults, Environment } from './environment';

/** The warning line a process logs at start when it relies on insecure defaults; null when none. */
export function insecureDefaultsWarning(environment: Environment): string | null {
  if (!allowsInsecureDefaults(environment)) return null;
  const inUse: string[] = [];
  if (!environment.AUTH_JWT_SECRET && !environment.AUTH_JWT_PUBLIC_KEY) {
    inUse.push('AUTH_JWT_SECRET unset: tokens signed with the public development secret are accepted');
  }
  if (!environment.STRIPE_SECRET_KEY)
    inUse.push('STRIPE_SECRET_KEY unset: payments go to the sandbox Stripe');
  if (!environment.STRIPE_WEBHOOK_SECRET) {
    inUse.push('STRIPE_WEBHOOK_SECRET unset: webhooks signed with the public sandbox secret are accepted');
  }
  if (environment.OUTBOUND_WEBHOOKS_ALLOW_PRIVATE_NETWORKS === undefined) {
    inUse.push('OUTBOUND_WEBHOOKS_ALLOW_PRIVATE_NETWORKS unset: webhooks may target private networks');
  }
  if (inUse.length === 0) return null;
  const optIn = `NODE_ENV=${environment.NODE_ENV ?? 'unset'}, ASTRIX_SANDBOX=${String(environment.ASTRIX_SANDBOX ?? 'unset')}`;
  return `INSECURE development defaults in use (${optIn}): ${inUse.join('; ')}. Never serve real customers like this.`;
}
