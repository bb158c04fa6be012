import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Length, Matches } from 'class-validator';
import { FEATURE_ID_PATTERN } from '../usage-event-parser';
import { IsInstant } from '../../../../platform/http/instant';

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
  @IsInstant()
  from?: string;

  @ApiPropertyOptional({ description: 'End (exclusive); default: end of the current period' })
  @IsOptional()
  @IsInstant()
  to?: string;
}
