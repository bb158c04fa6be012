import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { ProductView } from '@astrix/contracts';
import { UserAuth } from '../../../platform/auth/access.decorators';
import { CatalogService } from './catalog.service';
import { ListProductsQuery } from './dto/list-products.query';

@ApiTags('billing: catalog')
@ApiBearerAuth()
@UserAuth()
@Controller('v1/billing/products')
export class CatalogController {
  constructor(private readonly catalog: CatalogService) {}

  @Get()
  @ApiOperation({ summary: 'Products on sale in a currency, each with its price in that currency' })
  async list(@Query() query: ListProductsQuery): Promise<{ data: ProductView[] }> {
    return { data: await this.catalog.listProducts({ currency: query.currency, kind: query.kind }) };
  }
}
