import { PlatformFoundation1795248000000 } from './1795248000000-platform-foundation';
import { BillingCore1795251600000 } from './1795251600000-billing-core';
import { Accounts1795255200000 } from './1795255200000-accounts';
import { OutboundEvents1795258800000 } from './1795258800000-outbound-events';
import { Fraud1795262400000 } from './1795262400000-fraud';
import { OutboxSubjectIndex1795266000000 } from './1795266000000-outbox-subject-index';
import { Payouts1795269600000 } from './1795269600000-payouts';
import { Subscriptions1795273200000 } from './1795273200000-subscriptions';
import { UsageEntitlements1795276800000 } from './1795276800000-usage-entitlements';
import { AdminSearchIndexes1795280400000 } from './1795280400000-admin-search-indexes';
import { UsageAlertAmounts1795284000000 } from './1795284000000-usage-alert-amounts';
import { SubscriptionCoupons1795287600000 } from './1795287600000-subscription-coupons';
import { UsageAlertPending1795291200000 } from './1795291200000-usage-alert-pending';
import { PayoutTasks1795340000004 } from './1795340000004-payout-tasks';
import { SubscriptionTrials1795400000001 } from './1795400000001-subscription-trials';
import { UsagePeriodsVersionedPrices1795400000002 } from './1795400000002-usage-periods-versioned-prices';
import { CouponReservations1795400000003 } from './1795400000003-coupon-reservations';
import { SubscriptionAccounts1795400000004 } from './1795400000004-subscription-accounts';
import { SubscriptionBillingAnchorDay1795400000005 } from './1795400000005-subscription-billing-anchor-day';
import { Ledger1795500000001 } from './1795500000001-ledger';
import { ApiKeyHmacExpiry1795510000000 } from './1795510000000-api-key-hmac-expiry';
import { LedgerBadDebt1795540000000 } from './1795540000000-ledger-bad-debt';
import { RefundReversedAt1795545000000 } from './1795545000000-refund-reversed-at';
import { DisputeInquiry1795545000001 } from './1795545000001-dispute-inquiry';
import { JournalLineProductKind1795550000000 } from './1795550000000-journal-line-product-kind';
import { Reconciliation1795560000000 } from './1795560000000-reconciliation';
import { CustomerBillingDetails1795580000000 } from './1795580000000-customer-billing-details';
import { TraceContext1795590000000 } from './1795590000000-trace-context';
import { RetainFinancialRecords1795600000000 } from './1795600000000-retain-financial-records';
import { RevenueRecognition1795610000000 } from './1795610000000-revenue-recognition';
import { Tax1795620000000 } from './1795620000000-tax';
import { FxSnapshots1795620000001 } from './1795620000001-fx-snapshots';
import { CreditNoteLines1795620000002 } from './1795620000002-credit-note-lines';
import { CommitNotifications1795630000000 } from './1795630000000-commit-notifications';
import { EntitlementsNotify1795640000000 } from './1795640000000-entitlements-notify';
import { UsageEventsPartitioned1795740000000 } from './1795740000000-usage-events-partitioned';
import { UsageEventKeysInStatement1795740000001 } from './1795740000001-usage-event-keys-in-statement';
import { SandboxClock1795750000000 } from './1795750000000-sandbox-clock';
import { CustomerRowsNotify1795760000000 } from './1795760000000-customer-rows-notify';
import { UsageEventsKeyedByFeature1795770000000 } from './1795770000000-usage-events-keyed-by-feature';
import { JournalCheckedOncePerEntry1795780000000 } from './1795780000000-journal-checked-once-per-entry';
import { InvoiceIndexesTrimmed1795790000000 } from './1795790000000-invoice-indexes-trimmed';
import { InvoiceNumbersInDocuments1795800000000 } from './1795800000000-invoice-numbers-in-documents';
import { UsageAmountsAnnounced1795810000000 } from './1795810000000-usage-amounts-announced';
import { LedgerCurrencyConversion1795730000000 } from './1795730000000-ledger-currency-conversion';
import { InvoiceRegeneratedFrom1795700000000 } from './1795700000000-invoice-regenerated-from';

/** Every migration, oldest first. Landed migrations are never edited; add a new one instead. */
export const MIGRATIONS = [
  PlatformFoundation1795248000000,
  BillingCore1795251600000,
  Accounts1795255200000,
  OutboundEvents1795258800000,
  Fraud1795262400000,
  OutboxSubjectIndex1795266000000,
  Payouts1795269600000,
  Subscriptions1795273200000,
  UsageEntitlements1795276800000,
  AdminSearchIndexes1795280400000,
  UsageAlertAmounts1795284000000,
  SubscriptionCoupons1795287600000,
  UsageAlertPending1795291200000,
  PayoutTasks1795340000004,
  SubscriptionTrials1795400000001,
  UsagePeriodsVersionedPrices1795400000002,
  CouponReservations1795400000003,
  SubscriptionAccounts1795400000004,
  SubscriptionBillingAnchorDay1795400000005,
  Ledger1795500000001,
  ApiKeyHmacExpiry1795510000000,
  LedgerBadDebt1795540000000,
  RefundReversedAt1795545000000,
  DisputeInquiry1795545000001,
  JournalLineProductKind1795550000000,
  Reconciliation1795560000000,
  CustomerBillingDetails1795580000000,
  TraceContext1795590000000,
  RetainFinancialRecords1795600000000,
  RevenueRecognition1795610000000,
  Tax1795620000000,
  FxSnapshots1795620000001,
  CreditNoteLines1795620000002,
  CommitNotifications1795630000000,
  EntitlementsNotify1795640000000,
  SandboxClock1795750000000,
  LedgerCurrencyConversion1795730000000,
  InvoiceRegeneratedFrom1795700000000,
  UsageEventsPartitioned1795740000000,
  UsageEventKeysInStatement1795740000001,
  CustomerRowsNotify1795760000000,
  UsageEventsKeyedByFeature1795770000000,
  JournalCheckedOncePerEntry1795780000000,
  InvoiceIndexesTrimmed1795790000000,
  InvoiceNumbersInDocuments1795800000000,
  UsageAmountsAnnounced1795810000000,
];
