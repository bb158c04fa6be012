import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Length, Matches } from 'class-validator';
import { PageQuery } from '../../../../platform/http/pagination';
import type { FraudSignalStatus } from '../fraud-signal.entity';

const SIGNAL_STATUSES: FraudSignalStatus[] = ['open', 'confirmed', 'dismissed'];

export class FraudSignalsQuery extends PageQuery {
  @ApiPropertyOptional({ enum: SIGNAL_STATUSES })
  @IsOptional()
  @IsIn(SIGNAL_STATUSES)
  status?: FraudSignalStatus;

  @ApiPropertyOptional({ example: 'cust_01j…' })
  @IsOptional()
  @Matches(/^cust_[0-9a-z]{26}$/, { message: 'customerId must be a customer id (cust_…)' })
  customerId?: string;
}

export class ReviewNotesDto {
  @ApiProperty({ example: 'matched a known stolen-card ring' })
  @IsString()
  @Length(3, 2000)
  notes!: string;
}

export class BlockReasonDto {
  @ApiProperty({ example: 'confirmed chargeback fraud' })
  @IsString()
  @Length(3, 500)
  reason!: string;
}
