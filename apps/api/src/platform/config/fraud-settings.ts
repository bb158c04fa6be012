import type { FraudSeverity } from '@astrix/contracts';

/** A signal's weight: severity for people, score for the flag threshold. */
export interface SignalWeight {
  severity: FraudSeverity;
  score: number;
}

/**
 * The fraud rules as data. Defaults below; FRAUD_RULES (JSON, same shape, any subset) overrides
 * them per deployment without a release.
 */
export interface FraudSettings {
  /** Checkouts per user in the window; over it, checkout is refused before Stripe is called. */
  userVelocity: { windowMinutes: number; maxCheckouts: number } & SignalWeight;
  /** Checkouts per client address in the window; over it, refused the same way. */
  ipVelocity: { windowMinutes: number; maxCheckouts: number } & SignalWeight;
  /** Paid charges on one card in the window. */
  cardVelocity: { windowMinutes: number; maxCharges: number } & SignalWeight;
  /** Distinct users paying with one card: more than maxUsers is a signal. */
  sharedCard: { maxUsers: number } & SignalWeight;
  /** Declined attempts by the user shortly before a success (card testing). */
  cardTesting: { windowMinutes: number; minDeclines: number } & SignalWeight;
  /** A first-purchase coupon redeemed with a card another user already used for one. */
  couponAbuse: SignalWeight;
  /** Card country differs from the client's or the profile's country. */
  countryMismatch: SignalWeight;
  radarElevated: SignalWeight;
  radarHighest: SignalWeight;
  earlyFraudWarning: SignalWeight & { autoRefund: boolean };
  review: SignalWeight;
  disputeLost: SignalWeight;
  /** Open signal scores adding up to this flag the customer (billing.fraud.flagged). */
  flagThreshold: number;
  /** What a dispute costs us beyond the amount (the processor's fee), per currency, minor units. */
  disputeFee: Record<string, number>;
  /** Request header carrying the client's country (set by the edge, e.g. Cloudflare's cf-ipcountry). */
  clientCountryHeader: string;
}

export const DEFAULT_FRAUD_SETTINGS: FraudSettings = {
  userVelocity: { windowMinutes: 60, maxCheckouts: 5, severity: 'medium', score: 30 },
  ipVelocity: { windowMinutes: 60, maxCheckouts: 20, severity: 'medium', score: 30 },
  cardVelocity: { windowMinutes: 24 * 60, maxCharges: 3, severity: 'medium', score: 30 },
  sharedCard: { maxUsers: 1, severity: 'high', score: 50 },
  cardTesting: { windowMinutes: 60, minDeclines: 3, severity: 'high', score: 50 },
  couponAbuse: { severity: 'high', score: 40 },
  countryMismatch: { severity: 'low', score: 15 },
  radarElevated: { severity: 'medium', score: 30 },
  radarHighest: { severity: 'high', score: 60 },
  earlyFraudWarning: { severity: 'critical', score: 100, autoRefund: true },
  review: { severity: 'medium', score: 30 },
  disputeLost: { severity: 'critical', score: 100 },
  flagThreshold: 60,
  disputeFee: { USD: 1500, EUR: 1500, GBP: 1500 },
  clientCountryHeader: 'cf-ipcountry',
};

type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };

/** Defaults merged with the FRAUD_RULES override; throws naming the setting when the JSON is bad. */
export function fraudSettingsFrom(json: string | undefined): FraudSettings {
  if (!json) return DEFAULT_FRAUD_SETTINGS;
  let override: DeepPartial<FraudSettings>;
  try {
    override = JSON.parse(json) as DeepPartial<FraudSettings>;
  } catch {
    throw new Error('FRAUD_RULES must be JSON');
  }
  const merged = { ...DEFAULT_FRAUD_SETTINGS } as Record<string, unknown>;
  for (const [key, value] of Object.entries(override)) {
    const base = (DEFAULT_FRAUD_SETTINGS as unknown as Record<string, unknown>)[key];
    if (base === undefined) throw new Error(`FRAUD_RULES: unknown setting ${key}`);
    merged[key] = typeof base === 'object' && base !== null ? { ...base, ...(value as object) } : value;
  }
  return merged as unknown as FraudSettings;
}
