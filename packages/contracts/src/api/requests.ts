import type { StoredApiKeyScope } from './platform';

/** Who a credential belongs to (`GET /v1/me`): a signed-in person, or a sibling service's API key. */
export type CallerView =
  | {
      kind: 'user';
      userId: string;
      email: string | null;
      roles: string[];
      /** ISO 3166 country of the user's profile, when the identity service states it. */
      country?: string | null;
    }
  | { kind: 'service'; apiKeyId: string; name: string; scopes: StoredApiKeyScope[] };

/** `POST /v1/billing/coupons/validate`. */
export interface ValidateCouponRequest {
  /** Case-insensitive. */
  code: string;
  productId: string;
  currency: string;
}

/** `POST /v1/billing/portal-sessions`. */
export interface CreatePortalSessionRequest {
  /** Where the portal sends the trader back (http or https). */
  returnUrl?: string;
}

/** `PUT /v1/payouts/destinations/stripe`: the connected account payouts are transferred to. */
export interface StripeDestinationRequest {
  stripeAccountId: string;
}

/** The answer of `POST /v1/payouts/balance-snapshots`. */
export interface BalanceSnapshotRecorded {
  accountId: string;
  /** Minor units. */
  balance: number;
}
