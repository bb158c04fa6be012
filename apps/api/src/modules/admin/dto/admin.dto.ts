import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Length, Matches, Max, Min } from 'class-validator';
import type { QueueJobState, ReportGroupBy } from '@astrix/contracts';
import { PageQuery } from '../../../platform/http/pagination';
import { IsInstant } from '../../../platform/http/instant';

const toInteger = ({ value }: { value: unknown }) =>
  typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;

export class CustomerSearchQuery {
  @ApiProperty({
    description:
      'cust_/chg_/inv_ id, Stripe cus_/ch_/pi_ id, email (or its beginning), invoice number, user id, card fingerprint, or "last4 fingerprint"',
  })
  @IsString()
  @Length(1, 200, { message: 'query must be 1 to 200 characters' })
  @Matches(/\S/, { message: 'query must not be blank' })
  query!: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 50, default: 20 })
  @IsOptional()
  @Transform(toInteger)
  @IsInt({ message: 'limit must be an integer from 1 to 50' })
  @Min(1, { message: 'limit must be an integer from 1 to 50' })
  @Max(50, { message: 'limit must be an integer from 1 to 50' })
  limit: number = 20;
}

export class Customer360Query {
  @ApiPropertyOptional({ minimum: 1, maximum: 50, default: 10, description: 'rows per section' })
  @IsOptional()
  @Transform(toInteger)
  @IsInt({ message: 'limit must be an integer from 1 to 50' })
  @Min(1, { message: 'limit must be an integer from 1 to 50' })
  @Max(50, { message: 'limit must be an integer from 1 to 50' })
  limit: number = 10;
}

const GROUP_BYS: ReportGroupBy[] = ['day', 'week', 'month'];

export class RevenueReportQuery {
  @ApiProperty({ description: 'Inclusive, ISO 8601 date or date-time (UTC when no offset)' })
  @IsInstant()
  from!: string;

  @ApiProperty({ description: 'Exclusive, ISO 8601 date or date-time' })
  @IsInstant()
  to!: string;

  @ApiPropertyOptional({ enum: GROUP_BYS, default: 'day' })
  @IsOptional()
  @IsIn(GROUP_BYS, { message: 'groupBy must be day, week or month' })
  groupBy: ReportGroupBy = 'day';
}

export class AuditLogQuery extends PageQuery {
  @ApiPropertyOptional({ description: 'actor id: a user id, API key id, cli:<user>, stripe, …' })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  actor?: string;

  @ApiPropertyOptional({ example: 'charge' })
  @IsOptional()
  @Matches(/^[a-z_]{1,64}$/, { message: 'resourceType must be lower-case letters and underscores' })
  resourceType?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Length(1, 200)
  resourceId?: string;

  @ApiPropertyOptional({ example: 'refund.requested' })
  @IsOptional()
  @Matches(/^[a-z_]+(\.[a-z_]+)+$/, { message: 'action looks like resource.verb, e.g. refund.requested' })
  action?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsInstant()
  from?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsInstant()
  to?: string;
}

const JOB_STATES: QueueJobState[] = ['failed', 'waiting', 'delayed', 'active', 'completed'];

export class QueueJobsQuery {
  @ApiPropertyOptional({ enum: JOB_STATES, default: 'failed' })
  @IsOptional()
  @IsIn(JOB_STATES, { message: `state must be one of ${JOB_STATES.join(', ')}` })
  state: QueueJobState = 'failed';

  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 25 })
  @IsOptional()
  @Transform(toInteger)
  @IsInt({ message: 'limit must be an integer from 1 to 100' })
  @Min(1, { message: 'limit must be an integer from 1 to 100' })
  @Max(100, { message: 'limit must be an integer from 1 to 100' })
  limit: number = 25;

  @ApiPropertyOptional({ description: 'nextCursor of the previous page' })
  @IsOptional()
  @Matches(/^\d{1,9}$/, { message: 'cursor must be the nextCursor of a previous page' })
  cursor?: string;
}
