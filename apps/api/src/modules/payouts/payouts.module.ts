import { DynamicModule, Inject, Module, OnModuleInit } from '@nestjs/common';
import { TransferEventsRegistry } from '../billing';
import { AdminPayoutTasksController } from './admin-payout-tasks.controller';
import { AdminPayoutsController } from './admin-payouts.controller';
import { PayoutEligibility } from './payout-eligibility.service';
import { PayoutExecution } from './payout-execution.service';
import { PayoutFeeRefunds } from './payout-fee-refunds.service';
import { PayoutJournal } from './payout-journal.service';
import { PayoutJournalBackfill } from './payout-journal-backfill.service';
import { PayoutLedger } from './payout-ledger.service';
import { PayoutBooks } from './payout-books.service';
import { PayoutTransfersLookup } from './payout-transfers-lookup.service';
import { PayoutRecovery } from './payout-recovery.service';
import { PayoutsConsumer } from './payouts.consumer';
import { PayoutsController } from './payouts.controller';
import { PayoutsJobs } from './payouts-jobs';
import { PayoutsService } from './payouts.service';

export interface PayoutsModuleOptions {
  workers: boolean;
  /** The app's billing and accounts modules, the very objects AppModule imports (shared by reference). */
  billing: DynamicModule;
  accounts: DynamicModule;
}

/**
 * The payouts context: cash out from funded accounts. Other modules use what index.ts exports;
 * PayoutExecution.handleTransferEvent is the hook for Stripe transfer webhooks.
 */
@Module({})
export class PayoutsModule implements OnModuleInit {
  constructor(
    @Inject(TransferEventsRegistry) private readonly transfers: TransferEventsRegistry,
    @Inject(PayoutExecution) private readonly execution: PayoutExecution,
  ) {}

  /** Stripe's transfer webhooks reach billing's endpoint; billing hands them to us. */
  onModuleInit(): void {
    this.transfers.register((event) => this.execution.handleTransferEvent(event));
  }

  static forRoot(options: PayoutsModuleOptions): DynamicModule {
    return {
      module: PayoutsModule,
      imports: [options.billing, options.accounts],
      controllers: [PayoutsController, AdminPayoutsController, AdminPayoutTasksController],
      providers: [
        PayoutsService,
        PayoutEligibility,
        PayoutExecution,
        PayoutFeeRefunds,
        PayoutLedger,
        PayoutJournal,
        PayoutJournalBackfill,
        PayoutBooks,
        PayoutTransfersLookup,
        PayoutRecovery,
        PayoutsConsumer,
        ...(options.workers ? [PayoutsJobs] : []),
      ],
      exports: [PayoutsService, PayoutExecution, PayoutJournalBackfill],
    };
  }
}
