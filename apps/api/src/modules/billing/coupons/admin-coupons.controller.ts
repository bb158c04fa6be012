import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Page } from '@astrix/contracts';
import { CurrentContext, Roles } from '../../../platform/auth/access.decorators';
import type { RequestContext } from '../../../platform/auth/actor';
import { IdParam } from '../../../platform/http/id-param.pipe';
import { PageQuery } from '../../../platform/http/pagination';
import type { CouponView } from './coupon-views';
import { CouponAdminService } from './coupon-admin.service';
import { CreateCouponDto, UpdateCouponDto } from './dto/coupon.dto';

@ApiTags('admin: coupons')
@ApiBearerAuth()
@Roles('admin')
@Controller('v1/admin/coupons')
export class AdminCouponsController {
  constructor(private readonly coupons: CouponAdminService) {}

  @Post()
  @ApiOperation({ summary: 'Create a coupon; its code is stored upper-case and must be unique' })
  create(@Body() body: CreateCouponDto, @CurrentContext() context: RequestContext): Promise<CouponView> {
    return this.coupons.createCoupon(body, context);
  }

  @Get()
  @ApiOperation({ summary: 'List coupons, newest first' })
  list(@Query() query: PageQuery): Promise<Page<CouponView>> {
    return this.coupons.listCoupons(query);
  }

  @Get(':id')
  @ApiOperation({ summary: 'A coupon with its redemption count' })
  get(@Param('id', new IdParam('cpn', 'coupon')) id: string): Promise<CouponView> {
    return this.coupons.getCoupon(id);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change limits, expiry or status; null clears a limit or the expiry' })
  update(
    @Param('id', new IdParam('cpn', 'coupon')) id: string,
    @Body() body: UpdateCouponDto,
    @CurrentContext() context: RequestContext,
  ): Promise<CouponView> {
    return this.coupons.updateCoupon(id, body, context);
  }

  @Post(':id/archive')
  @HttpCode(200)
  @ApiOperation({ summary: 'Archive a coupon: checkout refuses it from now on' })
  archive(
    @Param('id', new IdParam('cpn', 'coupon')) id: string,
    @CurrentContext() context: RequestContext,
  ): Promise<CouponView> {
    return this.coupons.archiveCoupon(id, context);
  }
}
