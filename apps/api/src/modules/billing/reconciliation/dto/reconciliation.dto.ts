import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Length } from 'class-validator';
import { IsCalendarDay } from '../../../../platform/http/instant';
import { PageQuery } from '../../../../platform/http/pagination';
import { RECONCILIATION_EXCEPTION_KINDS, type ReconciliationExceptionKind } from '../reconciliation.entity';

export class ReconciliationRequestDto {
  @ApiProperty({ example: '2026-05-01', description: 'The UTC day to reconcile' })
  @IsString()
  @IsCalendarDay()
  date!: string;
}

export class ReconciliationExceptionsQuery extends PageQuery {
  @ApiPropertyOptional({ enum: RECONCILIATION_EXCEPTION_KINDS })
  @IsOptional()
  @IsIn([...RECONCILIATION_EXCEPTION_KINDS])
  kind?: ReconciliationExceptionKind;

  @ApiPropertyOptional({ enum: ['open', 'resolved'] })
  @IsOptional()
  @IsIn(['open', 'resolved'])
  status?: 'open' | 'resolved';
}

export class ResolveExceptionDto {
  @ApiProperty({ example: 'Stripe support confirmed the fee; credited on the next invoice' })
  @IsString()
  @Length(3, 2000)
  resolution!: string;
}
