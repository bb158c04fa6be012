import { Module } from '@nestjs/common';
import { AdminProductsController } from './admin-products.controller';
import { CatalogController } from './catalog.controller';
import { CatalogService } from './catalog.service';

/** Products and prices: the web app's catalog, staff administration, and getPurchasable for checkout. */
@Module({
  controllers: [CatalogController, AdminProductsController],
  providers: [CatalogService],
  exports: [CatalogService],
})
export class CatalogModule {}
