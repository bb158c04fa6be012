import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { CouponValidation } from '@astrix/contracts';
import { CurrentActor, UserAuth } from '../../../platform/auth/access.decorators';
import type { Actor } from '../../../platform/auth/actor';
import { Clock } from '../../../platform/clock';
import { CatalogService } from '../catalog/catalog.service';
import { CouponRedemptionService } from './coupon-redemption.service';
import { ValidateCouponDto } from './dto/coupon.dto';

@ApiTags('billing: coupons')
@ApiBearerAuth()
@UserAuth()
@Controller('v1/billing/coupons')
export class CouponsController {
  constructor(
    private readonly catalog: CatalogService,
    private readonly coupons: CouponRedemptionService,
    private readonly clock: Clock,
  ) {}

  @Post('validate')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Try a coupon on a product: the discounted breakdown, or why it does not apply (both 200)',
  })
  async validate(@Body() body: ValidateCouponDto, @CurrentActor() actor: Actor): Promise<CouponValidation> {
    const { product, price } = await this.catalog.getPurchasable(body.productId, body.currency);
    const quote = await this.coupons.quote({
      product,
      price,
      couponCode: body.code,
      userId: actor.kind === 'user' ? actor.userId : null,
      now: this.clock.now(),
    });
    return quote.ok
      ? { valid: true, couponCode: quote.coupon?.code ?? body.code, breakdown: quote.breakdown }
      : { valid: false, couponCode: quote.couponCode, reason: quote.reason, message: quote.message };
  }
}
