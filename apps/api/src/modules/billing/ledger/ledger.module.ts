import { Module } from '@nestjs/common';
import { Journal } from './journal.service';
import { LedgerBackfill } from './ledger-backfill.service';
import { LedgerChecks } from './ledger-checks.service';
import { LedgerPostings } from './ledger-postings.service';

/**
 * The ledger: the journal (its only writer), the postings the writers of money rows call in their
 * transactions, the books-check invariants of the journal and the backfill of existing rows.
 */
@Module({
  providers: [Journal, LedgerPostings, LedgerChecks, LedgerBackfill],
  exports: [Journal, LedgerPostings, LedgerChecks, LedgerBackfill],
})
export class LedgerModule {}
