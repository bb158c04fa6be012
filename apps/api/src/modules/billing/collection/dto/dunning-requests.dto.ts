import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, Matches } from 'class-validator';
import { PageQuery } from '../../../../platform/http/pagination';

export class DunningListQuery extends PageQuery {
  @ApiPropertyOptional({ enum: ['active', 'paused', 'recovered', 'exhausted', 'closed'] })
  @IsOptional()
  @IsIn(['active', 'paused', 'recovered', 'exhausted', 'closed'], {
    message: 'status must be one of active, paused, recovered, exhausted, closed',
  })
  status?: 'active' | 'paused' | 'recovered' | 'exhausted' | 'closed';

  @ApiPropertyOptional()
  @IsOptional()
  @Matches(/^cust_[0-9a-z]{26}$/, { message: 'customerId must be a customer id (cust_…)' })
  customerId?: string;
}
