import { Controller, Get, Param, Query, StreamableFile } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { HostedInvoiceLinkView, InvoiceView, Page } from '@astrix/contracts';
import type { Actor } from '../../../platform/auth/actor';
import { CurrentActor, UserAuth } from '../../../platform/auth/access.decorators';
import { AppError } from '../../../platform/http/app-error';
import { IdParam } from '../../../platform/http/id-param.pipe';
import { PageQuery } from '../../../platform/http/pagination';
import { HostedInvoiceLinks } from './hosted-invoice-links';
import { InvoiceDocuments, type RenderedDocument } from './invoice-documents.service';
import { InvoicesService } from './invoices.service';

export const asPdf = (document: RenderedDocument): StreamableFile =>
  new StreamableFile(document.content, {
    type: 'application/pdf',
    disposition: `attachment; filename="${document.fileName}"`,
    length: document.content.length,
  });

/** Invoices belong to the user they were issued to; nobody lists or reads another user's here. */
function ownerOf(actor: Actor): string {
  if (actor.kind !== 'user')
    throw new AppError(403, 'FORBIDDEN', 'invoices are only available to signed-in users');
  return actor.userId;
}

@ApiTags('billing: invoices')
@ApiBearerAuth()
@UserAuth()
@Controller('v1/billing/invoices')
export class InvoicesController {
  constructor(
    private readonly invoices: InvoicesService,
    private readonly documents: InvoiceDocuments,
    private readonly hostedLinks: HostedInvoiceLinks,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Your invoices, newest first' })
  list(@Query() query: PageQuery, @CurrentActor() actor: Actor): Promise<Page<InvoiceView>> {
    return this.invoices.listForUser(ownerOf(actor), query);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One of your invoices' })
  get(
    @Param('id', new IdParam('inv', 'invoice')) id: string,
    @CurrentActor() actor: Actor,
  ): Promise<InvoiceView> {
    return this.invoices.getForUser(ownerOf(actor), id);
  }

  @Get(':id/hosted-link')
  @ApiOperation({
    summary:
      'A signed, expiring link to the invoice’s hosted page (HTML with the PDF) that opens without a bearer token, e.g. from an email',
  })
  async hostedLink(
    @Param('id', new IdParam('inv', 'invoice')) id: string,
    @CurrentActor() actor: Actor,
  ): Promise<HostedInvoiceLinkView> {
    // Another user's invoice is a 404 here, as everywhere: it cannot be minted.
    await this.invoices.getForUser(ownerOf(actor), id);
    return this.hostedLinks.linkFor(id);
  }

  @Get(':id/pdf')
  @ApiOperation({ summary: 'One of your invoices as a PDF document' })
  @ApiProduces('application/pdf')
  @ApiOkResponse({ description: 'The invoice as an A4 PDF', schema: { type: 'string', format: 'binary' } })
  async pdf(
    @Param('id', new IdParam('inv', 'invoice')) id: string,
    @CurrentActor() actor: Actor,
  ): Promise<StreamableFile> {
    return asPdf(await this.documents.invoicePdf({ userId: ownerOf(actor) }, id));
  }

  @Get(':id/credit-notes/:creditNoteId/pdf')
  @ApiOperation({ summary: 'A credit note issued against one of your invoices, as a PDF document' })
  @ApiProduces('application/pdf')
  @ApiOkResponse({
    description: 'The credit note as an A4 PDF',
    schema: { type: 'string', format: 'binary' },
  })
  async creditNotePdf(
    @Param('id', new IdParam('inv', 'invoice')) id: string,
    @Param('creditNoteId', new IdParam('cn', 'credit note')) creditNoteId: string,
    @CurrentActor() actor: Actor,
  ): Promise<StreamableFile> {
    return asPdf(await this.documents.creditNotePdf({ userId: ownerOf(actor) }, id, creditNoteId));
  }
}
