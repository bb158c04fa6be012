import { Module } from '@nestjs/common';
import { CatalogModule } from './catalog/catalog.module';
import { CouponsModule } from './coupons/coupons.module';
import { InvoicesModule } from './invoices/invoices.module';

/** The billing context: cash in. Its public interface is BillingService. */
@Module({
  imports: [CatalogModule, CouponsModule, InvoicesModule],
})
export class BillingModule {}
