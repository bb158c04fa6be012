/**
 * The billing context's public surface: the only file other modules import from billing.
 * Accounts and payouts ask through BillingService and plug into the registries; admin (staff tools)
 * uses the capability services below. Everything else in billing is internal.
 */
export { BillingModule } from './billing.module';

// For accounts and payouts.
export { BillingService, type ResetQuote } from './billing.service';
export { AccountsPortRegistry, type AccountsPort, type ResetEligibility } from './accounts.port';
export {
  TransferEventsRegistry,
  type TransferEvent,
  type TransferEventHandler,
} from './transfer-events.registry';
export type { ProductDetails } from './catalog/catalog-views';
export { BooksCheckRegistry, type BooksCheckContributor } from './books/books-check.registry';
export type { BooksFinding, BooksFindingKind } from './books/books-findings';
// Reconciliation matches processor transfers to trader payouts through payouts' lookup.
export {
  TraderPayoutTransfersRegistry,
  type TraderPayoutTransfer,
  type TraderPayoutTransferLookup,
} from './reconciliation/processor-transfers.registry';
// The journal: payouts posts its money movements through it, in its own transactions.
export { Journal, type JournalEntryDraft, type JournalLineDraft } from './ledger/journal.service';
export type { LedgerAccountCode } from './ledger/chart-of-accounts';
export {
  PAYOUT_RELEASED_EVENT,
  payoutPaidEntry,
  payoutReleasedEntry,
  payoutReservedEntry,
  type PayoutPostingSource,
} from './ledger/postings/payout-postings';
export { ledgerTotalsOfSource, type LedgerAccountTotals } from './ledger/ledger-totals';

// For staff tools (admin API and CLI).
export { CatalogService, type PriceInput, type ProductInput } from './catalog/catalog.service';
export { CouponAdminService, type CouponInput } from './coupons/coupon-admin.service';
export type { CouponView } from './coupons/coupon-views';
export { CustomerDirectory, type SectionPage } from './customers/customer-directory.service';
export { InvoicesService } from './invoicing/invoices.service';
export { InvoiceCorrections } from './invoicing/invoice-corrections.service';
export { DunningDesk } from './collection/dunning-desk.service';
export type { CollectionOutcome } from './collection/invoice-collection.service';
export { RefundsService } from './refunds/refunds.service';
export { RevenueReports, type ReportRange } from './reports/revenue-report.service';
export { LedgerReports, type StatementQuery } from './reports/ledger-reports.service';
// Revenue recognition: the daily run, the policies, and its reports and month-end close export.
export {
  RevenueRecognition,
  type RecognitionPolicyView,
  type RecognitionRunResult,
} from './ledger/recognition/revenue-recognition.service';
export type { RecognitionMethod } from './ledger/recognition.entity';
export {
  RecognitionReports,
  type DeferredWaterfall,
  type RecognizedRevenueRow,
} from './reports/recognition-reports.service';
export {
  journalExportCsv,
  JOURNAL_EXPORT_CSV_COLUMNS,
  type JournalExportLine,
} from './reports/journal-export';
export { MonthClose } from './reports/month-close.service';
export { UsageMonthNotDetachable, UsagePartitions } from './metering/usage-partitions.service';
export type { MonthCloseReport } from './reports/month-close';
export { BillingRuns } from './subscriptions/billing-runs.service';
export { BooksCheck, type BooksCheckOptions } from './books/books-check.service';
export { BOOKS_FINDING_KINDS, type BooksReport } from './books/books-findings';
// The ledger backfill: `db migrate` and `ledger backfill` post entries for rows that have none.
export { LedgerBackfill, type LedgerBackfillReport } from './ledger/ledger-backfill.service';
export { LedgerPostings } from './ledger/ledger-postings.service';
export { RevenueSchedules } from './ledger/recognition/revenue-schedules.service';
// Reconciliation against Stripe: `pnpm cli reconcile --date D`.
export { Reconciliations } from './reconciliation/reconciliations.service';
export { FxRates } from './fx/fx-rates.service';
