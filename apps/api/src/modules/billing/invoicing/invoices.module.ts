import { Module } from '@nestjs/common';
import { LedgerModule } from '../ledger/ledger.module';
import { TaxModule } from '../tax/tax.module';
import { CreditNotesController } from './credit-notes.controller';
import { CreditNotes } from './credit-notes.service';
import { DocumentNumbers } from './document-numbers.service';
import { InvoiceDocuments } from './invoice-documents.service';
import { InvoicesController } from './invoices.controller';
import { InvoicesService } from './invoices.service';

/** Invoices and credit notes. Payments and refunds issue them through InvoicesService. */
@Module({
  imports: [LedgerModule, TaxModule],
  controllers: [InvoicesController, CreditNotesController],
  providers: [InvoicesService, DocumentNumbers, CreditNotes, InvoiceDocuments],
  exports: [InvoicesService, DocumentNumbers, InvoiceDocuments],
})
export class InvoicesModule {}
