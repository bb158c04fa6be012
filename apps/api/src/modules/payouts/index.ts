/**
 * The payouts context's public surface: the only file other modules import from payouts.
 * Everything else in payouts is internal.
 */
export { PayoutsModule, type PayoutsModuleOptions } from './payouts.module';
export { PayoutsService, type PayoutFilter } from './payouts.service';
export { PayoutExecution } from './payout-execution.service';
export { PayoutJournalBackfill, type PayoutJournalBackfillReport } from './payout-journal-backfill.service';
