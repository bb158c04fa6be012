import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, IsString, Length, Max, Min } from 'class-validator';

export class CreateRefundDto {
  @ApiPropertyOptional({
    description: 'Minor units (e.g. 1500 = $15.00); omitted = everything still refundable',
  })
  @IsOptional()
  @IsInt({ message: 'amount must be a whole number of minor units' })
  @Min(1, { message: 'amount must be at least 1 minor unit' })
  @Max(Number.MAX_SAFE_INTEGER)
  amount?: number;

  @ApiProperty({ example: 'requested_by_customer: bought the wrong size' })
  @IsString()
  @Length(3, 500)
  reason!: string;
}
