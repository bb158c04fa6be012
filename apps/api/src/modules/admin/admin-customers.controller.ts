import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  CUSTOMER_SECTIONS,
  type Customer360View,
  type CustomerSection,
  type CustomerSummaryView,
  type Page,
} from '@astrix/contracts';
import { Roles } from '../../platform/auth/access.decorators';
import { NotFoundError } from '../../platform/http/app-error';
import { IdParam } from '../../platform/http/id-param.pipe';
import { PageQuery } from '../../platform/http/pagination';
import { CustomerDirectory } from '../billing';
import { Customer360 } from './customer-360.service';
import { Customer360Query, CustomerSearchQuery } from './dto/admin.dto';

const customerId = new IdParam('cust', 'customer');

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
    private readonly directory: CustomerDirectory,
    private readonly customers: Customer360,
  ) {}

  @Get()
  @ApiOperation({
    summary:
      'Find customers by id, email, user id, Stripe customer or charge id, invoice number, or card last4 + fingerprint',
  })
  async search(@Query() query: CustomerSearchQuery): Promise<{ data: CustomerSummaryView[] }> {
    return { data: await this.directory.search(query.query, query.limit) };
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
