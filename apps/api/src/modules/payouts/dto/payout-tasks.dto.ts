import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Length } from 'class-validator';
import type { PayoutTaskStatus } from '@astrix/contracts';
import { PageQuery } from '../../../platform/http/pagination';

const PAYOUT_TASK_STATUSES: PayoutTaskStatus[] = ['open', 'resolved'];

export class ListPayoutTasksQuery extends PageQuery {
  @ApiPropertyOptional({ enum: PAYOUT_TASK_STATUSES })
  @IsOptional()
  @IsIn(PAYOUT_TASK_STATUSES)
  status?: PayoutTaskStatus;
}

export class ResolvePayoutTaskDto {
  @ApiProperty({ example: 'dispute lost: the fee went back through the bank' })
  @IsString()
  @Length(1, 500)
  note!: string;
}
