import { Module } from '@nestjs/common';
import { LedgerModule } from '../ledger/ledger.module';
import { TaxModule } from '../tax/tax.module';
import { CreditNotesController } from './credit-notes.controller';
import { CreditNotes } from './credit-notes.service';
import { DocumentNumbers } from './document-numbers.service';
import { HostedInvoiceLinks } from './hosted-invoice-links';
import { HostedInvoicesController } from './hosted-invoices.controller';
import { InvoiceDocuments } from './invoice-documents.service';
import { InvoicesController } from './invoices.controller';
import { InvoicesService } from './invoices.service';

/** Invoices and credit notes. Payments and refunds issue them through InvoicesService. */
@Module({
  imports: [LedgerModule, TaxModule],
  controllers: [InvoicesController, CreditNotesController, HostedInvoicesController],
  providers: [InvoicesService, DocumentNumbers, CreditNotes, InvoiceDocuments, HostedInvoiceLinks],
  exports: [InvoicesService, DocumentNumbers, InvoiceDocuments, HostedInvoiceLinks],
})
export class InvoicesModule {}
