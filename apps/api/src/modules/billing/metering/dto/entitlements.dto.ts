import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
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
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import {
  type CustomerEntitlementKind,
  type FeatureKind,
  type UsageAggregation,
  type UsageAlertKind,
  type UsagePriceModel,
  FEATURE_KINDS,
  USAGE_AGGREGATIONS,
} from '@astrix/contracts';
import { IsCurrencyCode, NormalizeCurrency } from '../../catalog/dto/currency';
import { MAX_UNIT_AMOUNT } from '../../catalog/dto/product.dto';
import { FEATURE_ID_PATTERN } from '../usage-event-parser';
import { IsInstant } from '../../../../platform/http/instant';

const MAX_LIMIT = 1_000_000_000_000;
const LIMIT_MESSAGE = `must be null (unlimited) or an integer from 0 to ${MAX_LIMIT}`;

export class CreateFeatureDto {
  @ApiProperty({ example: 'api-calls', description: 'Stable id sibling services use' })
  @Matches(FEATURE_ID_PATTERN, {
    message: 'id must be lower-case letters, digits, "_", ".", ":" or "-" (max 64)',
  })
  id!: string;

  @ApiProperty({ example: 'API calls' })
  @IsString()
  @Length(1, 200)
  name!: string;

  @ApiPropertyOptional({ nullable: true })
  @IsOptional()
  @IsString()
  @Length(0, 2000)
  description?: string | null;

  @ApiProperty({ enum: FEATURE_KINDS })
  @IsIn(FEATURE_KINDS, { message: 'kind must be boolean, limit or metered' })
  kind!: FeatureKind;

  @ApiPropertyOptional({ example: 'calls', nullable: true })
  @IsOptional()
  @IsString()
  @Length(1, 40)
  unit?: string | null;

  @ApiPropertyOptional({ enum: USAGE_AGGREGATIONS, description: 'limit and metered features; default sum' })
  @IsOptional()
  @IsIn(USAGE_AGGREGATIONS, { message: `aggregation must be one of ${USAGE_AGGREGATIONS.join(', ')}` })
  aggregation?: UsageAggregation;

  @ApiPropertyOptional({ description: 'The event property unique_count counts' })
  @IsOptional()
  @IsString()
  @Length(1, 64)
  aggregationProperty?: string;
}

export class UpdateFeatureDto {
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Length(1, 200)
  name?: string;

  @ApiPropertyOptional({ nullable: true })
  @IsOptional()
  @IsString()
  @Length(0, 2000)
  description?: string | null;

  @ApiPropertyOptional({ nullable: true })
  @IsOptional()
  @IsString()
  @Length(1, 40)
  unit?: string | null;

  @ApiPropertyOptional({ enum: ['active', 'archived'] })
  @IsOptional()
  @IsIn(['active', 'archived'], { message: 'status must be active or archived' })
  status?: 'active' | 'archived';
}

export class UsagePriceTierDto {
  @ApiProperty({ nullable: true, description: 'Last unit of the tier; null for the last, unbounded one' })
  @ValidateIf((_, value) => value !== null)
  @IsInt({ message: 'upTo must be an integer or null' })
  @Min(1)
  upTo!: number | null;

  @ApiPropertyOptional()
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_UNIT_AMOUNT)
  unitAmount?: number;

  @ApiPropertyOptional()
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_UNIT_AMOUNT)
  flatAmount?: number;
}

export class UsagePriceDto {
  @ApiProperty({ example: 'USD' })
  @NormalizeCurrency()
  @IsCurrencyCode()
  currency!: string;

  @ApiProperty({ enum: ['per_unit', 'package', 'graduated', 'volume'] })
  @IsIn(['per_unit', 'package', 'graduated', 'volume'], {
    message: 'model must be per_unit, package, graduated or volume',
  })
  model!: UsagePriceModel;

  @ApiPropertyOptional({ description: 'per_unit: minor units per unit' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_UNIT_AMOUNT)
  unitAmount?: number;

  @ApiPropertyOptional()
  @IsOptional()
  @IsInt()
  @Min(1)
  packageSize?: number;

  @ApiPropertyOptional()
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_UNIT_AMOUNT)
  packageAmount?: number;

  @ApiPropertyOptional({ type: [UsagePriceTierDto] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @ValidateNested({ each: true })
  @Type(() => UsagePriceTierDto)
  tiers?: UsagePriceTierDto[];

  @ApiPropertyOptional({ description: "Units not charged; defaults to the plan's allowance" })
  @IsOptional()
  @IsInt()
  @Min(0)
  freeQuantity?: number;
}

export class PutPlanFeatureDto {
  @ApiPropertyOptional({ nullable: true, description: 'Cap or allowance per period; null = unlimited' })
  @IsOptional()
  @ValidateIf((_, value) => value !== null)
  @IsInt({ message: `limit ${LIMIT_MESSAGE}` })
  @Min(0, { message: `limit ${LIMIT_MESSAGE}` })
  @Max(MAX_LIMIT, { message: `limit ${LIMIT_MESSAGE}` })
  limit?: number | null;

  @ApiPropertyOptional({ type: [UsagePriceDto], description: 'Replaces the usage prices of the feature' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @ValidateNested({ each: true })
  @Type(() => UsagePriceDto)
  prices?: UsagePriceDto[];
}

export class PutCustomerEntitlementDto {
  @ApiProperty({ enum: ['grant', 'override'] })
  @IsIn(['grant', 'override'], { message: 'kind must be grant or override' })
  kind!: CustomerEntitlementKind;

  @ApiPropertyOptional({ default: true, description: 'false withdraws the feature' })
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;

  @ApiPropertyOptional({ nullable: true })
  @IsOptional()
  @ValidateIf((_, value) => value !== null)
  @IsInt({ message: `limit ${LIMIT_MESSAGE}` })
  @Min(0, { message: `limit ${LIMIT_MESSAGE}` })
  @Max(MAX_LIMIT, { message: `limit ${LIMIT_MESSAGE}` })
  limit?: number | null;

  @ApiPropertyOptional({ nullable: true, example: '2026-12-31T23:59:59Z' })
  @IsOptional()
  @ValidateIf((_, value) => value !== null)
  @IsInstant()
  expiresAt?: string | null;

  @ApiProperty({ example: 'Compensation for the outage of 2026-11-20' })
  @IsString()
  @Length(3, 500)
  reason!: string;
}

export class RevokeCustomerEntitlementDto {
  @ApiProperty()
  @IsString()
  @Length(3, 500)
  reason!: string;
}

export class CreateUsageAlertDto {
  @ApiPropertyOptional({ nullable: true, description: 'Omit for an alert on every customer' })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  customerId?: string | null;

  @ApiProperty()
  @Matches(FEATURE_ID_PATTERN, { message: 'featureId must be a feature id' })
  featureId!: string;

  @ApiProperty({ enum: ['percent_of_allowance', 'quantity', 'amount'] })
  @IsIn(['percent_of_allowance', 'quantity', 'amount'], {
    message: 'kind must be percent_of_allowance, quantity or amount',
  })
  kind!: UsageAlertKind;

  @ApiProperty({ example: 80, description: 'Percent, units, or minor units of the subscription currency' })
  @IsInt({ message: 'threshold must be a positive integer' })
  @Min(1, { message: 'threshold must be a positive integer' })
  @Max(MAX_LIMIT)
  threshold!: number;
}

export class UsageAlertQuery {
  @IsOptional()
  @IsString()
  featureId?: string;

  @IsOptional()
  @IsString()
  customerId?: string;
}
