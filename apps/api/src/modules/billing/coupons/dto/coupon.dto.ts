import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  Min,
} from 'class-validator';
import { IsCurrencyCode, NormalizeCurrency } from '../../catalog/dto/currency';
import { PERCENT_PATTERN } from '../../catalog/dto/product.dto';
import type { AmountsByCurrency, CouponDuration, CouponKind, CouponStatus } from '../coupon.entity';
import { IsAmountsByCurrency } from './amounts-by-currency';
import { IsInstant } from '../../../../platform/http/instant';

export const COUPON_KINDS = ['percent_off', 'amount_off'] as const satisfies readonly CouponKind[];
export const COUPON_DURATIONS = ['once', 'repeating', 'forever'] as const satisfies readonly CouponDuration[];
/** Postgres integer columns; far above any real limit. */
const MAX_LIMIT = 1_000_000_000;
const AMOUNTS_SCHEMA = { type: 'object', additionalProperties: { type: 'integer', minimum: 1 } } as const;

/** Codes are matched case-insensitively: we store and compare them upper-case. */
const NormalizeCode = (): PropertyDecorator =>
  Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' ? value.trim().toUpperCase() : value,
  );

/** An optional redemption limit; null (no limit) passes IsOptional and clears it on update. */
const Limit = (name: string): PropertyDecorator =>
  applyDecorators(
    IsOptional(),
    IsInt({ message: `${name} must be a positive integer` }),
    Min(1, { message: `${name} must be a positive integer` }),
    Max(MAX_LIMIT, { message: `${name} must be at most ${MAX_LIMIT}` }),
  );

export class CreateCouponDto {
  @ApiProperty({ example: 'WELCOME20', description: '3-40 of A-Z 0-9 _ -; stored upper-case' })
  @NormalizeCode()
  @IsString()
  @Length(3, 40, { message: 'code must be 3 to 40 characters' })
  @Matches(/^[A-Z0-9_-]+$/, { message: 'code may contain only letters, digits, _ and -' })
  code!: string;

  @ApiProperty({ enum: COUPON_KINDS })
  @IsIn(COUPON_KINDS, { message: 'kind must be percent_off or amount_off' })
  kind!: CouponKind;

  @ApiPropertyOptional({ example: '20', description: 'percent_off only: more than 0, at most 100' })
  @IsOptional()
  @IsString({ message: 'percentOff must be a decimal string such as "20"' })
  @Matches(PERCENT_PATTERN, {
    message: 'percentOff must be a decimal string more than 0 and at most 100, e.g. "20"',
  })
  percentOff?: string;

  @ApiPropertyOptional({
    ...AMOUNTS_SCHEMA,
    example: { USD: 5000, EUR: 4500 },
    description: 'amount_off only',
  })
  @IsOptional()
  @IsAmountsByCurrency()
  amountOff?: AmountsByCurrency;

  @ApiPropertyOptional({ ...AMOUNTS_SCHEMA, example: { USD: 10000 }, description: 'Cap on the discount' })
  @IsOptional()
  @IsAmountsByCurrency()
  maxDiscount?: AmountsByCurrency;

  @ApiPropertyOptional({
    ...AMOUNTS_SCHEMA,
    example: { USD: 10000 },
    description: 'Smallest order it applies to',
  })
  @IsOptional()
  @IsAmountsByCurrency()
  minimumOrder?: AmountsByCurrency;

  @ApiPropertyOptional({ enum: COUPON_DURATIONS, default: 'once' })
  @IsOptional()
  @IsIn(COUPON_DURATIONS, { message: 'duration must be once, repeating or forever' })
  duration?: CouponDuration;

  @ApiPropertyOptional({ minimum: 1, maximum: 120, description: 'repeating only: billing periods it lasts' })
  @IsOptional()
  @IsInt({ message: 'durationPeriods must be an integer from 1 to 120' })
  @Min(1, { message: 'durationPeriods must be an integer from 1 to 120' })
  @Max(120, { message: 'durationPeriods must be an integer from 1 to 120' })
  durationPeriods?: number;

  @ApiPropertyOptional({ type: [String], description: 'Only these products; all when absent' })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1, { message: 'productIds must list at least one product when given' })
  @ArrayMaxSize(100)
  @ArrayUnique({ message: 'productIds must not repeat a product' })
  @Matches(/^prd_[0-9a-z]{26}$/, { each: true, message: 'each of productIds must be a product id (prd_…)' })
  productIds?: string[];

  @ApiPropertyOptional({ default: false })
  @IsOptional()
  @IsBoolean()
  firstPurchaseOnly?: boolean;

  @ApiPropertyOptional({ example: '2030-12-31T23:59:59Z', description: 'ISO 8601, in the future' })
  @IsOptional()
  @IsInstant()
  expiresAt?: string;

  @ApiPropertyOptional({ minimum: 1, description: 'Redemptions allowed across all customers' })
  @Limit('maxRedemptions')
  maxRedemptions?: number;

  @ApiPropertyOptional({ minimum: 1 })
  @Limit('maxRedemptionsPerCustomer')
  maxRedemptionsPerCustomer?: number;
}

/** Limits, expiry and status; null clears a limit or the expiry. The terms of a coupon never change. */
export class UpdateCouponDto {
  @ApiPropertyOptional({ minimum: 1, nullable: true })
  @Limit('maxRedemptions')
  maxRedemptions?: number | null;

  @ApiPropertyOptional({ minimum: 1, nullable: true })
  @Limit('maxRedemptionsPerCustomer')
  maxRedemptionsPerCustomer?: number | null;

  @ApiPropertyOptional({ nullable: true, description: 'ISO 8601, in the future; null: never expires' })
  @IsOptional()
  @IsInstant()
  expiresAt?: string | null;

  @ApiPropertyOptional({ enum: ['active', 'archived'] })
  @IsOptional()
  @IsIn(['active', 'archived'], { message: 'status must be active or archived' })
  status?: CouponStatus;
}

export class ValidateCouponDto {
  @ApiProperty({ example: 'WELCOME20', description: 'Case-insensitive' })
  @IsString()
  @Length(1, 64, { message: 'code must be 1 to 64 characters' })
  code!: string;

  @ApiProperty({ example: 'prd_01jz…' })
  @IsString()
  @Length(1, 64, { message: 'productId must be 1 to 64 characters' })
  productId!: string;

  @ApiProperty({ example: 'USD' })
  @NormalizeCurrency()
  @IsCurrencyCode()
  currency!: string;
}
