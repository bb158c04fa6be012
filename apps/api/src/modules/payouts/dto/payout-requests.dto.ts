import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMinSize,
  IsArray,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import type {
  BalanceSnapshotRequest,
  KycStatus,
  KycStatusUpdate,
  PayoutMethod,
  PayoutRequest,
  PayoutStatus,
} from '@astrix/contracts';
import { PageQuery } from '../../../platform/http/pagination';
import { USER_ID_PATTERN } from '../../accounts';
import type { PayoutRules } from '../payout-rules';
import { IsInstant } from '../../../platform/http/instant';

const ACCOUNT_ID = /^acc_[0-9a-z]{26}$/;
const PAYOUT_METHODS: PayoutMethod[] = ['stripe_connect', 'bank_transfer', 'crypto'];
const PAYOUT_STATUSES: PayoutStatus[] = [
  'requested',
  'approved',
  'processing',
  'paid',
  'failed',
  'rejected',
  'canceled',
];
const KYC_STATUSES: KycStatus[] = ['pending', 'verified', 'rejected'];
const MAX_MINOR = 1_000_000_000_00;

export class EligibilityQuery {
  @ApiProperty({ example: 'acc_01jd…' })
  @Matches(ACCOUNT_ID, { message: 'accountId must be an account id' })
  accountId!: string;
}

export class PayoutRequestDto implements PayoutRequest {
  @ApiProperty({ example: 'acc_01jd…' })
  @Matches(ACCOUNT_ID, { message: 'accountId must be an account id' })
  accountId!: string;

  @ApiPropertyOptional({ description: 'Minor units; everything available when absent' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_MINOR)
  amount?: number;

  @ApiProperty({ enum: PAYOUT_METHODS })
  @IsIn(PAYOUT_METHODS)
  method!: PayoutMethod;
}

export class ListPayoutsQuery extends PageQuery {
  @ApiPropertyOptional({ enum: PAYOUT_STATUSES })
  @IsOptional()
  @IsIn(PAYOUT_STATUSES)
  status?: PayoutStatus;
}

export class PayoutReasonDto {
  @ApiProperty({ example: 'trading pattern under review' })
  @IsString()
  @Length(1, 500)
  reason!: string;
}

export class ManualPaymentDto {
  @ApiProperty({
    example: 'BANK-REF-2026-11-21-0042',
    description: 'The bank or crypto desk reference of the payment',
  })
  @IsString()
  @Length(3, 200)
  reference!: string;
}

export class ManualQueueQuery {
  @ApiProperty({ enum: ['bank_transfer', 'crypto'] })
  @IsIn(['bank_transfer', 'crypto'])
  method!: 'bank_transfer' | 'crypto';
}

export class StripeDestinationDto {
  @ApiProperty({ example: 'acct_1Q…' })
  @Matches(/^acct_[0-9A-Za-z]+$/, { message: 'stripeAccountId must be a Stripe connected account id' })
  stripeAccountId!: string;
}

export class BalanceSnapshotDto implements BalanceSnapshotRequest {
  @ApiProperty({ example: 'acc_01jd…' })
  @Matches(ACCOUNT_ID, { message: 'accountId must be an account id' })
  accountId!: string;

  @ApiProperty({ description: 'Minor units' })
  @IsInt()
  @Min(0)
  @Max(MAX_MINOR)
  balance!: number;

  @ApiProperty()
  @IsInstant()
  reportedAt!: string;
}

export class KycStatusDto implements KycStatusUpdate {
  @ApiProperty({ example: 'user_01jd…' })
  @Matches(USER_ID_PATTERN, { message: 'userId must be a user id' })
  userId!: string;

  @ApiProperty({ enum: KYC_STATUSES })
  @IsIn(KYC_STATUSES)
  status!: KycStatus;

  @ApiProperty()
  @IsInstant()
  updatedAt!: string;
}

class SplitTierDto {
  @IsInt()
  @Min(0)
  fromCumulative!: number;

  @Matches(/^\d{1,3}(\.\d{1,2})?$/, { message: 'traderSharePercent must be a decimal string like "80"' })
  traderSharePercent!: string;
}

/** Any subset of the payout rules; the rest keep their defaults. */
export class PayoutRulesDto implements Partial<PayoutRules> {
  @ApiPropertyOptional()
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ValidateNested({ each: true })
  @Type(() => SplitTierDto)
  splitTiers?: SplitTierDto[];

  @ApiPropertyOptional()
  @IsOptional()
  @IsInt()
  @Min(0)
  minimumPayout?: number;

  @ApiPropertyOptional({ nullable: true })
  @IsOptional()
  @IsInt()
  @Min(1)
  capPerCycle?: number | null;

  @ApiPropertyOptional()
  @IsOptional()
  @IsInt()
  @Min(0)
  minTradingDays?: number;

  @ApiPropertyOptional()
  @IsOptional()
  @IsInt()
  @Min(0)
  cycleDays?: number;

  @ApiPropertyOptional()
  @IsOptional()
  @IsInt()
  @Min(0)
  fourEyesAbove?: number;
}
