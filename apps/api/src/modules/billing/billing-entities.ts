import { Price } from './catalog/price.entity';
import { Dispute } from './fraud/dispute.entity';
import { FraudSignal } from './fraud/fraud-signal.entity';
import { Product } from './catalog/product.entity';
import { CheckoutSession } from './checkout/checkout-session.entity';
import { Coupon } from './coupons/coupon.entity';
import { CouponRedemption } from './coupons/coupon-redemption.entity';
import { CouponReservation } from './coupons/coupon-reservation.entity';
import { Customer } from './customers/customer.entity';
import { CreditNote } from './invoicing/credit-note.entity';
import { DocumentNumberSeries } from './invoicing/document-number-series.entity';
import { Invoice } from './invoicing/invoice.entity';
import { InvoiceLine } from './invoicing/invoice-line.entity';
import { Charge } from './payments/charge.entity';
import { Refund } from './refunds/refund.entity';
import { BillingRun, BillingRunFailure } from './subscriptions/billing-run.entity';
import { CustomerBalance, CustomerBalanceTransaction } from './customers/customer-balance.entity';
import { DunningCase } from './collection/dunning-case.entity';
import { Subscription } from './subscriptions/subscription.entity';
import { StripeWebhookEvent } from './stripe-webhooks/stripe-webhook-event.entity';
import { CustomerEntitlement } from './metering/customer-entitlement.entity';
import { EntitlementsVersion } from './metering/entitlements-version.entity';
import { Feature } from './metering/feature.entity';
import { PlanFeature } from './metering/plan-feature.entity';
import { UsageAlert, UsageAlertFiring, UsageAlertPending } from './metering/usage-alert.entity';
import { UsageEvent } from './metering/usage-event.entity';
import { UsagePrice } from './metering/usage-price.entity';
import { UsagePeriod } from './metering/usage-period.entity';
import { JournalEntry, JournalLine, LedgerAccount } from './ledger/journal-entry.entity';
import { CustomerTaxProfile } from './tax/customer-tax-profile.entity';
import { TaxRateRow } from './tax/tax-rate.entity';
import { FxRate } from './fx/fx-rate.entity';
import { CreditNoteLine } from './invoicing/credit-note-line.entity';
import { RecognitionPolicy, RevenueSchedule } from './ledger/recognition.entity';
import {
  ReconciliationException,
  ReconciliationItem,
  ReconciliationPayout,
  ReconciliationRun,
} from './reconciliation/reconciliation.entity';

export const BILLING_ENTITIES = [
  Product,
  Price,
  Customer,
  Coupon,
  CouponRedemption,
  CouponReservation,
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
  UsagePeriod,
  UsageAlert,
  UsageAlertFiring,
  UsageAlertPending,
  LedgerAccount,
  JournalEntry,
  JournalLine,
  RecognitionPolicy,
  RevenueSchedule,
  ReconciliationRun,
  ReconciliationItem,
  ReconciliationException,
  ReconciliationPayout,
  TaxRateRow,
  CustomerTaxProfile,
  FxRate,
  CreditNoteLine,
];
