import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUrl,
  Length,
  Matches,
  Max,
  Min,
  ValidateIf,
} from 'class-validator';
import { IsCurrencyCode, NormalizeCurrency } from '../../catalog/dto/currency';
import { IsInstant } from '../../../../platform/http/instant';

const PRODUCT_ID = /^prd_[0-9a-z]{26}$/;
const QUANTITY_MESSAGE = 'quantity must be a whole number from 1 to 10000';
const ANCHOR_DAY_MESSAGE = 'billingAnchorDay must be a whole number from 1 to 28';
const ANCHOR_DAYS = Array.from({ length: 28 }, (_, index) => index + 1);

export class CreateSubscriptionDto {
  @ApiProperty({ example: 'prd_01jz…', description: 'A catalog product of kind subscription' })
  @IsString()
  @Matches(PRODUCT_ID, { message: 'productId must be a product id (prd_…)' })
  productId!: string;

  @ApiProperty({ example: 'USD' })
  @NormalizeCurrency()
  @IsCurrencyCode()
  currency!: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 10000, default: 1, description: 'Seats' })
  @IsOptional()
  @IsInt({ message: QUANTITY_MESSAGE })
  @Min(1, { message: QUANTITY_MESSAGE })
  @Max(10000, { message: QUANTITY_MESSAGE })
  quantity?: number;

  @ApiPropertyOptional({
    minimum: 0,
    maximum: 365,
    description: "Overrides the plan's trial; 0 charges at once",
  })
  @IsOptional()
  @IsInt({ message: 'trialDays must be a whole number from 0 to 365' })
  @Min(0, { message: 'trialDays must be a whole number from 0 to 365' })
  @Max(365, { message: 'trialDays must be a whole number from 0 to 365' })
  trialDays?: number;

  @ApiPropertyOptional({
    example: 'WELCOME20',
    description: 'Redeemed now; discounts the plan and usage lines of period invoices for its duration',
  })
  @IsOptional()
  @IsString({ message: 'couponCode must be a string of 1 to 40 characters' })
  @Length(1, 40, { message: 'couponCode must be a string of 1 to 40 characters' })
  couponCode?: string;

  @ApiPropertyOptional({
    minimum: 1,
    maximum: 28,
    description:
      'Day of month periods start on (midnight UTC); the first period runs to it, prorated. Default: the day billing starts',
  })
  // Absent means the default; null is not a day.
  @ValidateIf((_, value) => value !== undefined)
  @IsIn(ANCHOR_DAYS, { message: ANCHOR_DAY_MESSAGE })
  billingAnchorDay?: number;
}

export class ChangePlanDto {
  @ApiPropertyOptional({ description: 'The new plan; default: keep the current one' })
  @IsOptional()
  @IsString()
  @Matches(PRODUCT_ID, { message: 'productId must be a product id (prd_…)' })
  productId?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 10000 })
  @IsOptional()
  @IsInt({ message: QUANTITY_MESSAGE })
  @Min(1, { message: QUANTITY_MESSAGE })
  @Max(10000, { message: QUANTITY_MESSAGE })
  quantity?: number;

  @ApiPropertyOptional({
    enum: ['now', 'period_end'],
    description: 'Default: upgrades now, downgrades at period end',
  })
  @IsOptional()
  @IsIn(['now', 'period_end'], { message: 'when must be now or period_end' })
  when?: 'now' | 'period_end';
}

export class CancelSubscriptionDto {
  @ApiPropertyOptional({ default: true, description: 'Keep the service until the period ends' })
  @IsOptional()
  @IsBoolean({ message: 'atPeriodEnd must be true or false' })
  atPeriodEnd?: boolean;

  @ApiPropertyOptional({
    default: false,
    description: 'Canceling now only: credit the unused, paid part of the period to your balance',
  })
  @IsOptional()
  @IsBoolean({ message: 'prorate must be true or false' })
  prorate?: boolean;
}

export class UpcomingInvoiceQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: 10000, description: 'Preview a seat change made now' })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value,
  )
  @IsInt({ message: QUANTITY_MESSAGE })
  @Min(1, { message: QUANTITY_MESSAGE })
  @Max(10000, { message: QUANTITY_MESSAGE })
  quantity?: number;
}

export class CreateSetupIntentDto {
  @ApiPropertyOptional({
    example: 'pm_card_visa',
    description: 'Sandbox/tests: a test card token, confirmed at once',
  })
  @IsOptional()
  @IsString()
  @Matches(/^pm_[A-Za-z0-9_]{1,100}$/, { message: 'paymentMethodId must be a payment method id (pm_…)' })
  paymentMethodId?: string;
}

export class CreatePortalSessionDto {
  @ApiPropertyOptional({ example: 'https://app.astrix.example/billing' })
  @IsOptional()
  @IsUrl(
    { require_tld: false, protocols: ['http', 'https'] },
    { message: 'returnUrl must be an http(s) URL' },
  )
  returnUrl?: string;
}

export class StartBillingRunDto {
  @ApiPropertyOptional({ description: 'Invoice periods that ended by this instant; default now' })
  @IsOptional()
  @IsInstant()
  asOf?: string;
}

export class GoodwillCreditDto {
  @ApiProperty({ example: 1000, description: 'Minor units, positive' })
  @IsInt({ message: 'amount must be a whole number of minor units from 1 to 100000000' })
  @Min(1, { message: 'amount must be a whole number of minor units from 1 to 100000000' })
  @Max(100_000_000, { message: 'amount must be a whole number of minor units from 1 to 100000000' })
  amount!: number;

  @ApiProperty({ example: 'USD' })
  @NormalizeCurrency()
  @IsCurrencyCode()
  currency!: string;

  @ApiProperty({ example: 'Platform outage on 2026-11-20' })
  @IsString()
  @Length(1, 500, { message: 'reason must be 1 to 500 characters' })
  reason!: string;
}

export class GrantTrialDto {
  @ApiProperty({ example: 30, minimum: 1, maximum: 365, description: 'Trial length from its start, in days' })
  @IsInt({ message: 'trialDays must be a whole number from 1 to 365' })
  @Min(1, { message: 'trialDays must be a whole number from 1 to 365' })
  @Max(365, { message: 'trialDays must be a whole number from 1 to 365' })
  trialDays!: number;

  @ApiProperty({ example: 'Partner programme' })
  @IsString({ message: 'reason must be 1 to 500 characters' })
  @Length(1, 500, { message: 'reason must be 1 to 500 characters' })
  reason!: string;
}

export class SubscriptionStaffReasonDto {
  @ApiProperty({ example: 'Customer on medical leave until June' })
  @IsString({ message: 'reason must be 1 to 500 characters' })
  @Length(1, 500, { message: 'reason must be 1 to 500 characters' })
  @Matches(/\S/, { message: 'reason must not be blank' })
  reason!: string;
}
