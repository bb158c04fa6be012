import { DynamicModule, Module } from '@nestjs/common';
import { AccountsPortRegistry } from './accounts.port';
import { TransferEventsRegistry } from './transfer-events.registry';
import { BillingJobs } from './billing-jobs';
import { BillingMetrics } from './billing-metrics';
import { LedgerModule } from './ledger/ledger.module';
import { TaxDetailsController } from './tax/tax.controller';
import { TaxModule } from './tax/tax.module';
import { FxModule } from './fx/fx.module';
import { AdminReconciliationsController } from './reconciliation/admin-reconciliations.controller';
import { TraderPayoutTransfersRegistry } from './reconciliation/processor-transfers.registry';
import { ReconciliationBooks } from './reconciliation/reconciliation-books.service';
import { ReconciliationJobs } from './reconciliation/reconciliation-jobs';
import { UsagePartitionsJob } from './metering/usage-partitions.job';
import { ReconciliationRunner } from './reconciliation/reconciliation-runner.service';
import { Reconciliations } from './reconciliation/reconciliations.service';
import { BillingService } from './billing.service';
import { BooksCheck } from './books/books-check.service';
import { ProcessorComparison } from './books/processor-comparison.service';
import { BooksCheckRegistry } from './books/books-check.registry';
import { CatalogModule } from './catalog/catalog.module';
import { CheckoutReturnController } from './checkout/checkout-return.controller';
import { CheckoutController } from './checkout/checkout.controller';
import { CheckoutService } from './checkout/checkout.service';
import { CouponsModule } from './coupons/coupons.module';
import { UsageEntitlementsModule } from './metering/metering.module';
import { AdminFraudController } from './fraud/admin-fraud.controller';
import { FraudService } from './fraud/fraud.service';
import { StripeFraudSignals } from './fraud/stripe-fraud-signals.service';
import { BillingDetailsController } from './customers/billing-details.controller';
import { BillingDetails } from './customers/billing-details.service';
import { CustomersService } from './customers/customers.service';
import { CustomerDirectory } from './customers/customer-directory.service';
import { InvoiceStaffActions } from './invoicing/invoice-staff-actions.service';
import { AdminInvoicesController } from './invoicing/admin-invoices.controller';
import { InvoiceCollectionPort } from './invoicing/invoice-collection.port';
import { InvoiceCorrections } from './invoicing/invoice-corrections.service';
import { InvoiceWriter } from './invoicing/invoice-writer.service';
import { RevenueReports } from './reports/revenue-report.service';
import { LedgerReports } from './reports/ledger-reports.service';
import { RecognitionReports } from './reports/recognition-reports.service';
import { MonthClose } from './reports/month-close.service';
import { InvoicesModule } from './invoicing/invoices.module';
import { PaymentsService } from './payments/payments.service';
import { ChargeRecorder } from './payments/charge-recorder.service';
import { CouponRefusals } from './payments/coupon-refusals.service';
import { ProcessorModule } from '../../platform/payment-processor/processor.module';
import { AdminChargesController } from './refunds/admin-charges.controller';
import { CoolingOffRefunds } from './refunds/cooling-off-refunds.consumer';
import { RefundsService } from './refunds/refunds.service';
import { RefundRecovery } from './refunds/refund-recovery.service';
import { RefundSettlement } from './refunds/refund-settlement.service';
import { RefundSubmission } from './refunds/refund-submission.service';
import {
  AdminStripeEventsController,
  StripeWebhooksController,
} from './stripe-webhooks/stripe-webhooks.controller';
import { StripeWebhooksService } from './stripe-webhooks/stripe-webhooks.service';
import { StripeEventRedelivery } from './stripe-webhooks/stripe-event-redelivery.service';
import { AdminSubscriptionsController } from './subscriptions/admin-subscriptions.controller';
import { BillingRuns } from './subscriptions/billing-runs.service';
import { CustomerBalances } from './customers/customer-balances.service';
import { DunningDesk } from './collection/dunning-desk.service';
import { AdminCollectionController } from './collection/admin-collection.controller';
import { InvoiceCollection } from './collection/invoice-collection.service';
import { InvoiceDunning } from './collection/invoice-dunning.service';
import { PaymentAuthentication } from './collection/payment-authentication.service';
import { UncollectedInvoices } from './collection/uncollected-invoices';
import { SubscriptionStatusPort } from './collection/subscription-status.port';
import { PaymentMethodsService } from './customers/payment-methods.service';
import { SubscriptionInvoicing } from './subscriptions/subscription-invoicing.service';
import { SubscriptionPlans } from './subscriptions/subscription-plans';
import { PaymentMethodsController, SubscriptionsController } from './subscriptions/subscriptions.controller';
import { ChangeInvoices } from './subscriptions/change-invoices.service';
import { SubscriptionPlanChanges } from './subscriptions/plan-changes.service';
import { SubscriptionLifecycle } from './subscriptions/subscription-lifecycle.service';
import { SubscriptionReactivation } from './subscriptions/reactivation.service';
import { SubscriptionReads } from './subscriptions/subscription-reads.service';
import { SubscriptionStore } from './subscriptions/subscription-store.service';
import { CheckoutSubscriptions } from './subscriptions/checkout-subscriptions.service';
import { UnusedTimeCredits } from './subscriptions/unused-time-credits.service';
import { UpcomingInvoices } from './subscriptions/upcoming-invoice.service';
import { UsageCharges } from './subscriptions/usage-charges.port';
import { UsageChargesService } from './metering/usage-charges.service';

/** The billing context: cash in. Other modules use what index.ts exports. */
@Module({})
export class BillingModule {
  static forRoot(options: { workers: boolean }): DynamicModule {
    return {
      module: BillingModule,
      imports: [
        ProcessorModule,
        CatalogModule,
        CouponsModule,
        InvoicesModule,
        UsageEntitlementsModule,
        LedgerModule,
        TaxModule,
        FxModule,
      ],
      controllers: [
        CheckoutController,
        CheckoutReturnController,
        StripeWebhooksController,
        AdminStripeEventsController,
        AdminChargesController,
        AdminFraudController,
        SubscriptionsController,
        PaymentMethodsController,
        BillingDetailsController,
        AdminSubscriptionsController,
        AdminInvoicesController,
        AdminCollectionController,
        TaxDetailsController,
        AdminReconciliationsController,
      ],
      providers: [
        BillingService,
        CheckoutService,
        CustomersService,
        BillingDetails,
        PaymentsService,
        ChargeRecorder,
        CouponRefusals,
        RefundsService,
        RefundSubmission,
        RefundSettlement,
        RefundRecovery,
        StripeWebhooksService,
        StripeEventRedelivery,
        AccountsPortRegistry,
        TransferEventsRegistry,
        CoolingOffRefunds,
        FraudService,
        StripeFraudSignals,
        SubscriptionPlans,
        CustomerBalances,
        InvoiceWriter,
        SubscriptionInvoicing,
        InvoiceCollection,
        InvoiceDunning,
        PaymentAuthentication,
        // Invoicing asks collection to stop or start collecting through its port.
        { provide: InvoiceCollectionPort, useExisting: InvoiceCollection },
        // Collection asks subscriptions to move a subscription's status through its port.
        { provide: SubscriptionStatusPort, useExisting: SubscriptionStore },
        InvoiceCorrections,
        SubscriptionStore,
        CheckoutSubscriptions,
        ChangeInvoices,
        UnusedTimeCredits,
        SubscriptionLifecycle,
        SubscriptionReactivation,
        SubscriptionPlanChanges,
        UpcomingInvoices,
        SubscriptionReads,
        PaymentMethodsService,
        BillingRuns,
        DunningDesk,
        UncollectedInvoices,
        // Usage lines of closed periods: metered features' usage priced by their plans' usage prices.
        { provide: UsageCharges, useExisting: UsageChargesService },
        CustomerDirectory,
        RevenueReports,
        LedgerReports,
        RecognitionReports,
        MonthClose,
        InvoiceStaffActions,
        BooksCheck,
        ProcessorComparison,
        BooksCheckRegistry,
        BillingMetrics,
        TraderPayoutTransfersRegistry,
        ReconciliationRunner,
        Reconciliations,
        ReconciliationBooks,
        ...(options.workers ? [BillingJobs, ReconciliationJobs, UsagePartitionsJob] : []),
      ],
      // What index.ts makes public. BillingService serves accounts and payouts; the processor port is
      // shared with payouts (transfers); the registries let other contexts plug in; the capability
      // services (and the modules exporting theirs) serve the staff tools in admin.
      exports: [
        BillingService,
        AccountsPortRegistry,
        TransferEventsRegistry,
        ProcessorModule,
        CatalogModule,
        CouponsModule,
        InvoicesModule,
        CustomerDirectory,
        InvoiceCorrections,
        DunningDesk,
        RefundsService,
        RevenueReports,
        LedgerReports,
        RecognitionReports,
        MonthClose,
        BillingRuns,
        BooksCheck,
        BooksCheckRegistry,
        LedgerModule,
        TraderPayoutTransfersRegistry,
        Reconciliations,
      ],
    };
  }
}
