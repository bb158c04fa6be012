import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { InvoiceView } from '@astrix/contracts';
import { NotFoundError } from '../../../platform/http/app-error';
import { CreditNote } from './credit-note.entity';
import { type BuyerDetails, renderInvoicePdf } from './invoice-pdf';
import { toCreditNoteView } from './invoice-staff-actions.service';
import { InvoicesService } from './invoices.service';
import { renderCreditNotePdf } from './pdf/credit-note-pdf';

export interface RenderedDocument {
  fileName: string;
  content: Buffer;
}

/**
 * Whose documents: a signed-in user reads their own, staff anyone's, and a hosted invoice link the
 * one invoice it was signed for (checked by HostedInvoiceLinks before).
 */
export type DocumentOwner = { userId: string } | 'staff' | 'signed-link';

/** Invoices and credit notes as PDF documents, addressed with the customer's billing details. */
@Injectable()
export class InvoiceDocuments {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly invoices: InvoicesService,
  ) {}

  /** One of the user's invoices (staff: anyone's), with its credit notes in the settlement. */
  async invoicePdf(owner: DocumentOwner, invoiceId: string): Promise<RenderedDocument> {
    // Everything that can fail happens before rendering, so errors still leave as JSON envelopes.
    const invoice = await this.invoiceOf(owner, invoiceId);
    const notes = await this.invoices.creditNotesFor(invoice.id);
    const content = await renderInvoicePdf(invoice, {
      buyer: await this.buyerOf(invoice),
      creditNotes: notes.map((note) => ({
        number: note.number,
        amount: note.amount,
        issuedAt: note.issuedAt.toISOString(),
      })),
    });
    return { fileName: `${invoice.number}.pdf`, content };
  }

  /** A credit note issued against one of the user's invoices (staff: anyone's). */
  async creditNotePdf(
    owner: DocumentOwner,
    invoiceId: string,
    creditNoteId: string,
  ): Promise<RenderedDocument> {
    const invoice = await this.invoiceOf(owner, invoiceId);
    const note = await this.dataSource
      .getRepository(CreditNote)
      .findOne({ where: { id: creditNoteId, invoiceId: invoice.id } });
    if (!note) throw new NotFoundError('credit note', creditNoteId);
    const content = await renderCreditNotePdf(toCreditNoteView(note), invoice, await this.buyerOf(invoice));
    return { fileName: `${note.number}.pdf`, content };
  }

  /**
   * The invoice as its owner sees it (with its credit notes). Staff read it as the customer it was
   * issued to would, so both get the same document from the same renderer.
   */
  private async invoiceOf(owner: DocumentOwner, invoiceId: string): Promise<InvoiceView> {
    const userId =
      owner === 'staff' || owner === 'signed-link'
        ? (await this.invoices.getInvoice(invoiceId)).userId
        : owner.userId;
    return this.invoices.getForUser(userId, invoiceId);
  }

  /** The invoice and its buyer's billing name, for the hosted invoice page of a verified link. */
  async hostedInvoice(invoiceId: string): Promise<{ invoice: InvoiceView; buyerName: string | null }> {
    const invoice = await this.invoiceOf('signed-link', invoiceId);
    return { invoice, buyerName: (await this.buyerOf(invoice)).name };
  }

  /**
   * The buyer as the customer's records describe them now: billing name and address, the email on
   * the invoice, and the tax details the invoice was issued under (country, region, VAT id).
   */
  private async buyerOf(invoice: InvoiceView): Promise<BuyerDetails> {
    const [customer] = (await this.dataSource.query(
      `SELECT c.billing_name, c.billing_address, p.postal_code
         FROM billing.customers c
         LEFT JOIN billing.customer_tax_profiles p ON p.customer_id = c.id
        WHERE c.user_id = $1`,
      [invoice.userId],
    )) as Array<{ billing_name: string | null; billing_address: string | null; postal_code: string | null }>;
    return {
      name: customer?.billing_name ?? null,
      address: customer?.billing_address ?? null,
      email: invoice.customer.email,
      taxId: invoice.taxDetails?.customerVatId ?? null,
      country: invoice.taxDetails?.country ?? null,
      region: invoice.taxDetails?.region ?? null,
      postalCode: customer?.postal_code ?? null,
    };
  }
}
