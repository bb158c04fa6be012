import { Controller, Get, Param, Query, Res, StreamableFile } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiProperty, ApiResponse, ApiTags } from '@nestjs/swagger';
import { IsString, Length } from 'class-validator';
import type { FastifyReply } from 'fastify';
import { Public } from '../../../platform/auth/access.decorators';
import { IdParam } from '../../../platform/http/id-param.pipe';
import { HOSTED_INVOICES_PATH, HostedInvoiceLinks } from './hosted-invoice-links';
import { HOSTED_INVOICE_PAGE_CSP, renderHostedInvoicePage } from './hosted-invoice-page';
import { InvoiceDocuments } from './invoice-documents.service';

export class HostedInvoiceQuery {
  @ApiProperty({ description: 'the signed link token (`hil_…`), as the link carries it' })
  @IsString()
  @Length(1, 1024)
  token!: string;
}

const ENVELOPE = { $ref: '#/components/schemas/ErrorEnvelope' };

/** Headers of everything a hosted link serves: never cached by others, never indexed, no referrer. */
function privateHeaders(reply: FastifyReply): void {
  void reply
    .header('cache-control', 'no-store')
    .header('x-robots-tag', 'noindex, nofollow')
    .header('referrer-policy', 'no-referrer')
    .header('x-content-type-options', 'nosniff');
}

/**
 * The hosted invoice page and its PDF, opened from an email without a bearer token: the signed,
 * expiring link (GET /v1/billing/invoices/:id/hosted-link) is the credential, for that one invoice.
 */
@ApiTags('billing: invoices')
@Public()
@ApiResponse({
  status: 403,
  description: 'INVALID_LINK: the signature does not match, or the link is for another invoice',
  schema: ENVELOPE,
})
@ApiResponse({
  status: 410,
  description: 'LINK_EXPIRED: the link expired (the message says when)',
  schema: ENVELOPE,
})
@Controller(HOSTED_INVOICES_PATH.slice(1))
export class HostedInvoicesController {
  constructor(
    private readonly links: HostedInvoiceLinks,
    private readonly documents: InvoiceDocuments,
  ) {}

  @Get(':id')
  @ApiOperation({
    summary: 'The hosted invoice page (HTML: number, status, amounts due and paid, the PDF) of a signed link',
  })
  @ApiProduces('text/html')
  async page(
    @Param('id', new IdParam('inv', 'invoice')) id: string,
    @Query() query: HostedInvoiceQuery,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<string> {
    const expiresAt = this.links.verify(id, query.token);
    const { invoice, buyerName } = await this.documents.hostedInvoice(id);
    privateHeaders(reply);
    void reply
      .header('content-type', 'text/html; charset=utf-8')
      .header('content-security-policy', HOSTED_INVOICE_PAGE_CSP);
    return renderHostedInvoicePage({
      invoice,
      buyerName,
      pdfUrl: `${encodeURIComponent(id)}/pdf?token=${encodeURIComponent(query.token)}`,
      expiresAt,
    });
  }

  @Get(':id/pdf')
  @ApiOperation({ summary: 'The invoice PDF of a signed hosted link' })
  @ApiProduces('application/pdf')
  @ApiOkResponse({ description: 'The invoice as an A4 PDF', schema: { type: 'string', format: 'binary' } })
  async pdf(
    @Param('id', new IdParam('inv', 'invoice')) id: string,
    @Query() query: HostedInvoiceQuery,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<StreamableFile> {
    this.links.verify(id, query.token);
    const document = await this.documents.invoicePdf('signed-link', id);
    privateHeaders(reply);
    // Framed by the hosted page of the same origin, nowhere else.
    void reply.header('content-security-policy', "default-src 'none'; frame-ancestors 'self'");
    return new StreamableFile(document.content, {
      type: 'application/pdf',
      disposition: `inline; filename="${document.fileName}"`,
      length: document.content.length,
    });
  }
}
