import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsISO8601, IsOptional, IsString, Length, Matches } from 'class-validator';
import { FEATURE_ID_PATTERN } from '../usage-event-parser';

export class UsageSummaryQuery {
  @ApiPropertyOptional({ description: 'Our customer id or the external reference; users: their own' })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  customerId?: string;

  @ApiProperty()
  @Matches(FEATURE_ID_PATTERN, { message: 'featureId must be a feature id' })
  featureId!: string;

  @ApiPropertyOptional({ description: 'Start (inclusive); default: start of the current period' })
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'from must be an ISO 8601 date-time' })
  from?: string;

  @ApiPropertyOptional({ description: 'End (exclusive); default: end of the current period' })
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'to must be an ISO 8601 date-time' })
  to?: string;
}
