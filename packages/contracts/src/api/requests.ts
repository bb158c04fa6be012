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

/** `GET`/`PUT /v1/billing/billing-details`: who invoices and credit notes are addressed to. */
export interface BillingDetailsView {
  /** As it should appear on documents, in any script; null when not given. */
  name: string | null;
  /** Postal address, lines separated by newlines. */
  address: string | null;
  /** The email the customer signed up with (read only here). */
  email: string | null;
}

/** `PUT /v1/billing/billing-details`: null (or empty) clears a field. */
export interface BillingDetailsRequest {
  name?: string | null;
  address?: string | null;
}

/** `GET`/`PUT /v1/billing/tax-details`: how the customer is taxed, and the currency billed in. */
export interface TaxDetailsView {
  customerId: string;
  /** ISO 3166-1 alpha-2. */
  country: string | null;
  region: string | null;
  postalCode: string | null;
  /** A business VAT id, format-checked for its country. */
  vatId: string | null;
  billingCurrency: string | null;
  updatedAt: string | null;
}

/** `PUT /v1/billing/tax-details`. */
export interface TaxDetailsRequest {
  country: string | null;
  region?: string | null;
  postalCode?: string | null;
  vatId?: string | null;
  billingCurrency?: string | null;
}
