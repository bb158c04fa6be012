import { Module } from '@nestjs/common';
import { Journal } from './journal.service';
import { LedgerPostings } from './ledger-postings.service';

/** The ledger: the journal (its only writer) and the postings the writers of money rows call in their transactions. */
@Module({
  providers: [Journal, LedgerPostings],
  exports: [Journal, LedgerPostings],
})
export class LedgerModule {}
