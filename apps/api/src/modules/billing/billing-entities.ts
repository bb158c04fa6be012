import { Price } from './catalog/price.entity';
import { Dispute } from './fraud/dispute.entity';
import { FraudSignal } from './fraud/fraud-signal.entity';
import { Product } from './catalog/product.entity';
import { CheckoutSession } from './checkout/checkout-session.entity';
import { Coupon } from './coupons/coupon.entity';
import { CouponRedemption } from './coupons/coupon-redemption.entity';
import { Customer } from './customers/customer.entity';
import { CreditNote } from './invoices/credit-note.entity';
import { DocumentNumberSeries } from './invoices/document-number-series.entity';
import { Invoice } from './invoices/invoice.entity';
import { InvoiceLine } from './invoices/invoice-line.entity';
import { Charge } from './payments/charge.entity';
import { Refund } from './refunds/refund.entity';
import { BillingRun, BillingRunFailure } from './subscriptions/billing-run.entity';
import { CustomerBalance, CustomerBalanceTransaction } from './subscriptions/customer-balance.entity';
import { DunningCase } from './subscriptions/dunning-case.entity';
import { Subscription } from './subscriptions/subscription.entity';
import { StripeWebhookEvent } from './stripe-webhooks/stripe-webhook-event.entity';
import { CustomerEntitlement } from './entitlements/customer-entitlement.entity';
import { EntitlementsVersion } from './entitlements/entitlements-version.entity';
import { Feature } from './entitlements/feature.entity';
import { PlanFeature } from './entitlements/plan-feature.entity';
import { UsageAlert, UsageAlertFiring, UsageAlertPending } from './usage/usage-alert.entity';
import { UsageEvent } from './usage/usage-event.entity';
import { UsagePrice } from './usage/usage-price.entity';

export const BILLING_ENTITIES = [
  Product,
  Price,
  Customer,
  Coupon,
  CouponRedemption,
  CheckoutSession,
  Charge,
  Refund,
  Invoice,
  InvoiceLine,
  DocumentNumberSeries,
  CreditNote,
  StripeWebhookEvent,
  FraudSignal,
  Dispute,
  Subscription,
  CustomerBalance,
  CustomerBalanceTransaction,
  DunningCase,
  BillingRun,
  BillingRunFailure,
  Feature,
  PlanFeature,
  CustomerEntitlement,
  EntitlementsVersion,
  UsageEvent,
  UsagePrice,
  UsageAlert,
  UsageAlertFiring,
  UsageAlertPending,
];
