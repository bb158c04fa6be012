import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  CUSTOMER_SECTIONS,
  type CreditNoteView,
  type Customer360View,
  type CustomerSection,
  type CustomerSummaryView,
  type InvoiceView,
  type Page,
} from '@astrix/contracts';
import type { RequestContext } from '../../platform/auth/actor';
import { CurrentContext, Roles } from '../../platform/auth/access.decorators';
import { NotFoundError } from '../../platform/http/app-error';
import { IdParam } from '../../platform/http/id-param.pipe';
import { PageQuery } from '../../platform/http/pagination';
import { BillingService } from '../billing/billing.service';
import { Customer360 } from './customer-360.service';
import {
  CreateCreditNoteDto,
  Customer360Query,
  CustomerSearchQuery,
  ResendReceiptDto,
} from './dto/admin.dto';

const customerId = new IdParam('cust', 'customer');
const invoiceId = new IdParam('inv', 'invoice');

function sectionOf(value: string): CustomerSection {
  if (!(CUSTOMER_SECTIONS as readonly string[]).includes(value)) {
    throw new NotFoundError(
      'customer section',
      `${value.slice(0, 32)} (one of ${CUSTOMER_SECTIONS.join(', ')})`,
    );
  }
  return value as CustomerSection;
}

@ApiTags('admin: customers')
@ApiBearerAuth()
@Roles('support', 'finance')
@Controller('v1/admin/customers')
export class AdminCustomersController {
  constructor(
    private readonly billing: BillingService,
    private readonly customers: Customer360,
  ) {}

  @Get()
  @ApiOperation({
    summary:
      'Find customers by id, email, user id, Stripe customer or charge id, invoice number, or card last4 + fingerprint',
  })
  async search(@Query() query: CustomerSearchQuery): Promise<{ data: CustomerSummaryView[] }> {
    return { data: await this.billing.searchCustomers(query.query, query.limit) };
  }

  @Get(':id')
  @ApiOperation({ summary: 'One customer across billing, accounts and payouts; every list is a first page' })
  view(@Param('id', customerId) id: string, @Query() query: Customer360Query): Promise<Customer360View> {
    return this.customers.view(id, query.limit);
  }

  @Get(':id/:section')
  @ApiOperation({ summary: `Further pages of one section: ${CUSTOMER_SECTIONS.join(', ')}` })
  section(
    @Param('id', customerId) id: string,
    @Param('section') section: string,
    @Query() query: PageQuery,
  ): Promise<Page<unknown>> {
    return this.customers.section(id, sectionOf(section), query);
  }
}

@ApiTags('admin: invoices')
@ApiBearerAuth()
@Controller('v1/admin/invoices')
export class AdminInvoicesController {
  constructor(private readonly billing: BillingService) {}

  @Get(':id')
  @Roles('support', 'finance')
  @ApiOperation({ summary: 'Any invoice, with its credit notes' })
  async get(@Param('id', invoiceId) id: string): Promise<InvoiceView & { creditNotes: CreditNoteView[] }> {
    const invoice = await this.billing.getInvoice(id);
    return { ...invoice, creditNotes: await this.billing.creditNotes(id) };
  }

  @Post(':id/credit-notes')
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
    return this.billing.issueCreditNote(id, body.amount, body.reason, context);
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
    return this.billing.resendReceipt(id, body.email, context);
  }
}
