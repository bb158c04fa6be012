import { Module } from '@nestjs/common';
import { Journal } from './journal.service';
import { LedgerChecks } from './ledger-checks.service';
import { LedgerPostings } from './ledger-postings.service';

/**
 * The ledger: the journal (its only writer), the postings the writers of money rows call in their
 * transactions and the books-check invariants of the journal.
 */
@Module({
  providers: [Journal, LedgerPostings, LedgerChecks],
  exports: [Journal, LedgerPostings, LedgerChecks],
})
export class LedgerModule {}
