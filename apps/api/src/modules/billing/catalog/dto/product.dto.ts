import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import type { ProductKind } from '@astrix/contracts';
import { PRODUCT_KINDS } from '../catalog-views';
import type { RecurringInterval } from '../price.entity';
import { IsCurrencyCode, NormalizeCurrency } from './currency';

/** 10^12 minor units: ten billion dollars, far above any price and safely inside a bigint. */
export const MAX_UNIT_AMOUNT = 1_000_000_000_000;
export const MAX_PRICES = 20;

/** A percentage as a decimal string, more than 0 and at most 100, up to 4 decimals ("8", "2.5"). */
export const PERCENT_PATTERN = /^(?!0+(?:\.0+)?$)(?:100(?:\.0{1,4})?|\d{1,2}(?:\.\d{1,4})?)$/;
const PERCENT_MESSAGE = 'must be a decimal string more than 0 and at most 100, e.g. "8" or "2.5"';

export const SLUG_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

export class RecurringDto {
  @ApiProperty({ enum: ['month', 'year'] })
  @IsIn(['month', 'year'], { message: 'interval must be month or year' })
  interval!: RecurringInterval;

  @ApiPropertyOptional({ minimum: 1, maximum: 12, default: 1 })
  @IsOptional()
  @IsInt({ message: 'intervalCount must be an integer from 1 to 12' })
  @Min(1, { message: 'intervalCount must be an integer from 1 to 12' })
  @Max(12, { message: 'intervalCount must be an integer from 1 to 12' })
  intervalCount?: number;
}

export class PriceInputDto {
  @ApiProperty({ example: 'USD', description: 'ISO 4217 code' })
  @NormalizeCurrency()
  @IsCurrencyCode()
  currency!: string;

  @ApiProperty({ example: 29900, description: 'Minor units (29900 = $299.00)', minimum: 0 })
  @IsInt({ message: 'unitAmount must be an integer number of minor units' })
  @Min(0, { message: 'unitAmount must not be negative' })
  @Max(MAX_UNIT_AMOUNT, { message: `unitAmount must be at most ${MAX_UNIT_AMOUNT}` })
  unitAmount!: number;

  @ApiPropertyOptional({ type: RecurringDto, description: 'Absent for one-off purchases' })
  @IsOptional()
  @ValidateNested()
  @Type(() => RecurringDto)
  recurring?: RecurringDto;
}

export class DunningPolicyDto {
  @ApiProperty({ example: [1, 3, 5, 7], description: 'Days after the first failure of each retry' })
  @IsArray()
  @ArrayMinSize(1, { message: 'dunning.retryDays must list 1 to 10 retries' })
  @ArrayMaxSize(10, { message: 'dunning.retryDays must list 1 to 10 retries' })
  @IsInt({ each: true, message: 'dunning.retryDays must be whole days from 1 to 365' })
  @Min(1, { each: true, message: 'dunning.retryDays must be whole days from 1 to 365' })
  @Max(365, { each: true, message: 'dunning.retryDays must be whole days from 1 to 365' })
  retryDays!: number[];

  @ApiProperty({ enum: ['pause', 'cancel'] })
  @IsIn(['pause', 'cancel'], { message: 'dunning.finalAction must be pause or cancel' })
  finalAction!: 'pause' | 'cancel';

  @ApiPropertyOptional({ example: 1, minimum: 1, maximum: 10 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(10)
  pastDueAfterAttempts?: number;
}

export class ProductAttributesDto {
  @ApiPropertyOptional({ example: 50000, description: 'Account size in whole currency units' })
  @IsOptional()
  @IsInt({ message: 'accountSize must be a positive integer' })
  @Min(1, { message: 'accountSize must be a positive integer' })
  @Max(1_000_000_000, { message: 'accountSize must be at most 1000000000' })
  accountSize?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: 3, example: 2 })
  @IsOptional()
  @IsInt({ message: 'phases must be an integer from 1 to 3' })
  @Min(1, { message: 'phases must be an integer from 1 to 3' })
  @Max(3, { message: 'phases must be an integer from 1 to 3' })
  phases?: number;

  @ApiPropertyOptional({ example: ['8', '5'], description: 'One decimal percentage per phase' })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(3)
  @Matches(PERCENT_PATTERN, { each: true, message: `each profitTargetPercent ${PERCENT_MESSAGE}` })
  profitTargetPercent?: string[];

  @ApiPropertyOptional({ example: '5' })
  @IsOptional()
  @Matches(PERCENT_PATTERN, { message: `maxDailyLossPercent ${PERCENT_MESSAGE}` })
  maxDailyLossPercent?: string;

  @ApiPropertyOptional({ example: '10' })
  @IsOptional()
  @Matches(PERCENT_PATTERN, { message: `maxTotalLossPercent ${PERCENT_MESSAGE}` })
  maxTotalLossPercent?: string;

  @ApiPropertyOptional({ example: 4, minimum: 0, maximum: 365 })
  @IsOptional()
  @IsInt({ message: 'minTradingDays must be an integer from 0 to 365' })
  @Min(0, { message: 'minTradingDays must be an integer from 0 to 365' })
  @Max(365, { message: 'minTradingDays must be an integer from 0 to 365' })
  minTradingDays?: number;

  @ApiPropertyOptional({ example: 'astrix-trader' })
  @IsOptional()
  @IsString()
  @Length(1, 50)
  platform?: string;

  @ApiPropertyOptional({ example: 14, minimum: 0, maximum: 365, description: 'Subscriptions: free trial' })
  @IsOptional()
  @IsInt({ message: 'trialDays must be an integer from 0 to 365' })
  @Min(0, { message: 'trialDays must be an integer from 0 to 365' })
  @Max(365, { message: 'trialDays must be an integer from 0 to 365' })
  trialDays?: number;

  @ApiPropertyOptional({
    example: 'pro',
    description: 'Subscriptions: the plan family a trial counts in (default: the plan itself)',
  })
  @IsOptional()
  @IsString({ message: 'trialFamily must be 1 to 50 letters, digits, - or _' })
  @Matches(/^[a-z0-9_-]{1,50}$/i, { message: 'trialFamily must be 1 to 50 letters, digits, - or _' })
  trialFamily?: string;

  @ApiPropertyOptional({
    default: true,
    description: 'Subscriptions: one trial per customer and plan family; false gives one every time',
  })
  @IsOptional()
  @IsBoolean({ message: 'trialOncePerCustomer must be true or false' })
  trialOncePerCustomer?: boolean;

  @ApiPropertyOptional({
    default: false,
    description: 'Subscriptions: a payment method must be on file before the trial starts',
  })
  @IsOptional()
  @IsBoolean({ message: 'trialRequiresPaymentMethod must be true or false' })
  trialRequiresPaymentMethod?: boolean;

  @ApiPropertyOptional({
    enum: ['refuse', 'bill'],
    default: 'refuse',
    description: 'Subscriptions: usage beyond a metered allowance during the trial is refused or billed',
  })
  @IsOptional()
  @IsIn(['refuse', 'bill'], { message: 'trialOverage must be refuse or bill' })
  trialOverage?: 'refuse' | 'bill';

  @ApiPropertyOptional({
    type: () => DunningPolicyDto,
    description: 'Subscriptions: overrides the global dunning',
  })
  @IsOptional()
  @ValidateNested()
  @Type(() => DunningPolicyDto)
  dunning?: DunningPolicyDto;
}

/** The validation of a product's price list, shared by create and update. */
const PriceList = (): PropertyDecorator =>
  applyDecorators(
    IsArray(),
    ArrayMinSize(1, { message: 'prices must contain at least one price' }),
    ArrayMaxSize(MAX_PRICES, { message: `prices must contain at most ${MAX_PRICES} prices` }),
    // A price without a currency gets its own error; a fresh symbol keeps it out of the duplicate check.
    ArrayUnique((price: PriceInputDto | undefined) => price?.currency ?? Symbol('no currency'), {
      message: 'prices must not repeat a currency',
    }),
    ValidateNested({ each: true }),
    Type(() => PriceInputDto),
  );

export class CreateProductDto {
  @ApiProperty({ enum: PRODUCT_KINDS })
  @IsIn(PRODUCT_KINDS, { message: `kind must be one of: ${PRODUCT_KINDS.join(', ')}` })
  kind!: ProductKind;

  @ApiProperty({ example: 'Evaluation 50k', minLength: 1, maxLength: 200 })
  @IsString()
  @Length(1, 200, { message: 'name must be 1 to 200 characters' })
  name!: string;

  @ApiPropertyOptional({ example: 'evaluation-50k', description: 'Derived from the name when absent' })
  @IsOptional()
  @IsString()
  @Length(1, 80, { message: 'slug must be 1 to 80 characters' })
  @Matches(SLUG_PATTERN, {
    message: 'slug may contain lower-case letters and digits separated by single dashes',
  })
  slug?: string;

  @ApiPropertyOptional({ maxLength: 2000, nullable: true })
  @IsOptional()
  @IsString()
  @Length(0, 2000, { message: 'description must be at most 2000 characters' })
  description?: string | null;

  @ApiPropertyOptional({ type: ProductAttributesDto })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => ProductAttributesDto)
  attributes?: ProductAttributesDto;

  @ApiProperty({ type: [PriceInputDto], description: 'One price per currency (1-20)' })
  @PriceList()
  prices!: PriceInputDto[];
}

/** Every field optional; `attributes` and `prices` replace what the product had. */
export class UpdateProductDto {
  @ApiPropertyOptional({ minLength: 1, maxLength: 200 })
  @IsOptional()
  @IsString()
  @Length(1, 200, { message: 'name must be 1 to 200 characters' })
  name?: string;

  @ApiPropertyOptional({ maxLength: 2000, nullable: true, description: 'null clears it' })
  @IsOptional()
  @IsString()
  @Length(0, 2000, { message: 'description must be at most 2000 characters' })
  description?: string | null;

  @ApiPropertyOptional({ type: ProductAttributesDto, description: 'Replaces the attributes' })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => ProductAttributesDto)
  attributes?: ProductAttributesDto;

  @ApiPropertyOptional({
    type: [PriceInputDto],
    description:
      'The complete list of prices after the update: a changed price deactivates the old row and adds a new one; a currency left out stops being offered',
  })
  @IsOptional()
  @PriceList()
  prices?: PriceInputDto[];
}
