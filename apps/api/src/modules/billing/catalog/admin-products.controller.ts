import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Page } from '@astrix/contracts';
import { CurrentContext, Roles } from '../../../platform/auth/access.decorators';
import type { RequestContext } from '../../../platform/auth/actor';
import { IdParam } from '../../../platform/http/id-param.pipe';
import type { ProductDetails } from './catalog-views';
import { CatalogService } from './catalog.service';
import { AdminListProductsQuery } from './dto/list-products.query';
import { CreateProductDto, UpdateProductDto } from './dto/product.dto';

@ApiTags('admin: products')
@ApiBearerAuth()
@Roles('admin')
@Controller('v1/admin/products')
export class AdminProductsController {
  constructor(private readonly catalog: CatalogService) {}

  @Post()
  @ApiOperation({
    summary: 'Create a product with its prices; the slug is derived from the name when absent',
  })
  create(@Body() body: CreateProductDto, @CurrentContext() context: RequestContext): Promise<ProductDetails> {
    return this.catalog.createProduct(body, context);
  }

  @Get()
  @ApiOperation({ summary: 'List products, archived included, newest first' })
  list(@Query() query: AdminListProductsQuery): Promise<Page<ProductDetails>> {
    return this.catalog.listProductPage(query);
  }

  @Get(':id')
  @ApiOperation({ summary: 'A product with its active prices' })
  get(@Param('id', new IdParam('prd', 'product')) id: string): Promise<ProductDetails> {
    return this.catalog.getProduct(id);
  }

  @Patch(':id')
  @ApiOperation({
    summary: 'Change name, description, attributes or prices; a changed price replaces the old one',
  })
  update(
    @Param('id', new IdParam('prd', 'product')) id: string,
    @Body() body: UpdateProductDto,
    @CurrentContext() context: RequestContext,
  ): Promise<ProductDetails> {
    return this.catalog.updateProduct(id, body, context);
  }

  @Post(':id/archive')
  @HttpCode(200)
  @ApiOperation({ summary: 'Archive a product: it stays for history and can no longer be bought' })
  archive(
    @Param('id', new IdParam('prd', 'product')) id: string,
    @CurrentContext() context: RequestContext,
  ): Promise<ProductDetails> {
    return this.catalog.archiveProduct(id, context);
  }
}
