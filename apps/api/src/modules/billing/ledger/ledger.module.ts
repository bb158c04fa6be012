import { Module } from '@nestjs/common';
import { Journal } from './journal.service';
import { LedgerBackfill } from './ledger-backfill.service';
import { LedgerChecks } from './ledger-checks.service';
import { LedgerPostings } from './ledger-postings.service';
import { RevenueRecognition } from './recognition/revenue-recognition.service';
import { RevenueSchedules } from './recognition/revenue-schedules.service';

/**
 * The ledger: the journal (its only writer), the postings the writers of money rows call in their
 * transactions, the books-check invariants of the journal and the backfill of existing rows.
 */
@Module({
  providers: [Journal, LedgerPostings, LedgerChecks, LedgerBackfill, RevenueSchedules, RevenueRecognition],
  exports: [Journal, LedgerPostings, LedgerChecks, LedgerBackfill, RevenueSchedules, RevenueRecognition],
})
export class LedgerModule {}
