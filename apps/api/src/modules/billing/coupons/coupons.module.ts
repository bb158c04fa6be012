import { Module } from '@nestjs/common';
import { CatalogModule } from '../catalog/catalog.module';
import { AdminCouponsController } from './admin-coupons.controller';
import { CouponsController } from './coupons.controller';
import { CouponAdminService } from './coupon-admin.service';
import { CouponRedemptionService } from './coupon-redemption.service';

/** Coupons: quotes for checkout, atomic redemption at payment completion, staff administration. */
@Module({
  imports: [CatalogModule],
  controllers: [CouponsController, AdminCouponsController],
  providers: [CouponRedemptionService, CouponAdminService],
  exports: [CouponRedemptionService, CouponAdminService],
})
export class CouponsModule {}
