import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min, ValidateIf } from 'class-validator';
import { IsInstant } from '../../../platform/http/instant';

const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;

export class RecognitionPolicyChange {
  @ApiProperty({ enum: ['point_in_time', 'service_period', 'expected_duration'] })
  @IsIn(['point_in_time', 'service_period', 'expected_duration'])
  method!: 'point_in_time' | 'service_period' | 'expected_duration';

  @ApiPropertyOptional({
    description: 'Days of an expected_duration policy (required with it, absent otherwise)',
  })
  @ValidateIf(
    (change: RecognitionPolicyChange) => change.method === 'expected_duration' || change.durationDays != null,
  )
  @IsInt()
  @Min(1)
  @Max(3660)
  durationDays?: number | null;

  @ApiPropertyOptional({ description: 'What the policy means, for finance' })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  description?: string;
}

export class MonthRangeQuery {
  @ApiProperty({ description: 'First month, YYYY-MM', example: '2026-01' })
  @Matches(MONTH, { message: 'from must be a month YYYY-MM' })
  from!: string;

  @ApiProperty({ description: 'Last month, YYYY-MM (at most 36 months after from)', example: '2026-12' })
  @Matches(MONTH, { message: 'to must be a month YYYY-MM' })
  to!: string;
}

export class RecognizedRevenueQuery {
  @ApiProperty({ description: 'Inclusive, ISO 8601 date or date-time' })
  @IsInstant()
  from!: string;

  @ApiProperty({ description: 'Exclusive, ISO 8601 date or date-time' })
  @IsInstant()
  to!: string;
}

export class JournalExportQuery {
  @ApiProperty({ description: 'The month to export (UTC), YYYY-MM', example: '2026-01' })
  @Matches(MONTH, { message: 'month must be a month YYYY-MM' })
  month!: string;
}
