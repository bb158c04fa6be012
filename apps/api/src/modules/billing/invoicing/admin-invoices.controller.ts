import { Body, Controller, Get, HttpCode, Param, Post, StreamableFile } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { CreditNoteView, InvoiceView } from '@astrix/contracts';
import type { RequestContext } from '../../../platform/auth/actor';
import { CurrentContext, Roles } from '../../../platform/auth/access.decorators';
import { IdParam } from '../../../platform/http/id-param.pipe';
import { RequiresIdempotencyKey } from '../../../platform/idempotency/requires-idempotency-key.decorator';
import {
  CreateCreditNoteDto,
  InvoiceClosingReasonDto,
  RegenerateInvoiceDto,
  ResendReceiptDto,
} from './dto/admin-invoice-requests.dto';
import { InvoiceCorrections } from './invoice-corrections.service';
import { InvoiceDocuments } from './invoice-documents.service';
import { asPdf } from './invoices.controller';
import { InvoiceStaffActions } from './invoice-staff-actions.service';
import { InvoicesService } from './invoices.service';

const invoiceId = new IdParam('inv', 'invoice');
const creditNoteId = new IdParam('cn', 'credit note');

/** Staff over any invoice. Collection's levers (dunning, retry-payment) live with collection. */
@ApiTags('admin: invoices')
@ApiBearerAuth()
@Controller('v1/admin/invoices')
export class AdminInvoicesController {
  constructor(
    private readonly invoices: InvoicesService,
    private readonly staffActions: InvoiceStaffActions,
    private readonly corrections: InvoiceCorrections,
    private readonly documents: InvoiceDocuments,
  ) {}

  @Get(':id')
  @Roles('support', 'finance')
  @ApiOperation({ summary: 'Any invoice, with its credit notes' })
  async get(@Param('id', invoiceId) id: string): Promise<InvoiceView & { creditNotes: CreditNoteView[] }> {
    const invoice = await this.invoices.getInvoice(id);
    return { ...invoice, creditNotes: await this.staffActions.creditNotes(id) };
  }

  @Get(':id/pdf')
  @Roles('support', 'finance')
  @ApiOperation({
    summary: "Any customer's invoice as a PDF: the same document the customer downloads",
  })
  @ApiProduces('application/pdf')
  @ApiOkResponse({ description: 'The invoice as an A4 PDF', schema: { type: 'string', format: 'binary' } })
  async pdf(@Param('id', invoiceId) id: string): Promise<StreamableFile> {
    return asPdf(await this.documents.invoicePdf('staff', id));
  }

  @Get(':id/credit-notes/:creditNoteId/pdf')
  @Roles('support', 'finance')
  @ApiOperation({
    summary: "A credit note issued against any customer's invoice, as a PDF: the customer's own document",
  })
  @ApiProduces('application/pdf')
  @ApiOkResponse({
    description: 'The credit note as an A4 PDF',
    schema: { type: 'string', format: 'binary' },
  })
  async creditNotePdf(
    @Param('id', invoiceId) id: string,
    @Param('creditNoteId', creditNoteId) noteId: string,
  ): Promise<StreamableFile> {
    return asPdf(await this.documents.creditNotePdf('staff', id, noteId));
  }

  @Post(':id/credit-notes')
  @RequiresIdempotencyKey()
  @Roles('finance')
  @ApiOperation({
    summary:
      'Credit note without a refund (money settled outside Stripe, or a correction); never above what is still creditable. Send an Idempotency-Key.',
  })
  creditNote(
    @Param('id', invoiceId) id: string,
    @Body() body: CreateCreditNoteDto,
    @CurrentContext() context: RequestContext,
  ): Promise<CreditNoteView> {
    return this.staffActions.issueCreditNote(id, body.amount, body.reason, context);
  }

  @Post(':id/resend-receipt')
  @HttpCode(202)
  @Roles('support', 'finance')
  @ApiOperation({ summary: 'Send the receipt again (emits billing.receipt.resend_requested)' })
  resendReceipt(
    @Param('id', invoiceId) id: string,
    @Body() body: ResendReceiptDto,
    @CurrentContext() context: RequestContext,
  ): Promise<{ invoiceId: string; email: string | null; eventId: string }> {
    return this.staffActions.resendReceipt(id, body.email, context);
  }

  @Post(':id/mark-uncollectible')
  @HttpCode(200)
  @Roles('finance')
  @ApiOperation({ summary: 'Write an open invoice off (audited)' })
  markUncollectible(
    @Param('id', invoiceId) id: string,
    @Body() body: InvoiceClosingReasonDto,
    @CurrentContext() context: RequestContext,
  ): Promise<InvoiceView> {
    return this.corrections.markUncollectible(id, body.reason, context);
  }

  @Post(':id/regenerate')
  @HttpCode(201)
  @RequiresIdempotencyKey()
  @Roles('finance')
  @ApiOperation({
    summary:
      'Regenerate a voided subscription invoice: a new invoice with the same lines (quantities optionally corrected), linked to it (regeneratedFromInvoiceId), posted and collected at once; once per voided invoice (409 ALREADY_REGENERATED), never while another invoice bills the period (audited). Send an Idempotency-Key.',
  })
  regenerate(
    @Param('id', invoiceId) id: string,
    @Body() body: RegenerateInvoiceDto,
    @CurrentContext() context: RequestContext,
  ): Promise<InvoiceView> {
    return this.corrections.regenerate(id, body.reason, context, body.lines ?? []);
  }

  @Post(':id/void')
  @HttpCode(200)
  @Roles('finance')
  @ApiOperation({ summary: 'Void an unpaid invoice; spent credit returns to the balance (audited)' })
  voidInvoice(
    @Param('id', invoiceId) id: string,
    @Body() body: InvoiceClosingReasonDto,
    @CurrentContext() context: RequestContext,
  ): Promise<InvoiceView> {
    return this.corrections.voidInvoice(id, body.reason, context);
  }
}
