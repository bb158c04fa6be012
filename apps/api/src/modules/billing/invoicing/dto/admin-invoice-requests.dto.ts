import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsEmail,
  IsInt,
  IsOptional,
  IsString,
  Length,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';

export class CreateCreditNoteDto {
  @ApiProperty({ description: "Minor units of the invoice's currency" })
  @IsInt({ message: 'amount must be a whole number of minor units' })
  @Min(1, { message: 'amount must be positive' })
  @Max(Number.MAX_SAFE_INTEGER)
  amount!: number;

  @ApiProperty()
  @IsString()
  @Length(3, 500, { message: 'reason must be 3 to 500 characters' })
  reason!: string;
}

export class ResendReceiptDto {
  @ApiPropertyOptional({ description: "Another address than the invoice's" })
  @IsOptional()
  @IsEmail({}, { message: 'email must be an email address' })
  @MaxLength(320)
  email?: string;
}

/** Why staff void or write off an invoice; kept in the audit log. */
export class InvoiceClosingReasonDto {
  @ApiProperty({ example: 'Customer disputes the renewal; written off by support' })
  @IsString()
  @Length(1, 500, { message: 'reason must be 1 to 500 characters' })
  reason!: string;
}

export class RegenerateLineCorrectionDto {
  @ApiProperty({ example: 1, description: "The line's position on the voided invoice (1 = first)" })
  @IsInt({ message: 'position must be a whole number from 1' })
  @Min(1, { message: 'position must be a whole number from 1' })
  @Max(100000, { message: 'position must be a whole number from 1' })
  position!: number;

  @ApiProperty({ example: 2, description: 'The seats or units the replacement bills on that line' })
  @IsInt({ message: 'quantity must be a whole number from 1 to 1000000' })
  @Min(1, { message: 'quantity must be a whole number from 1 to 1000000' })
  @Max(1000000, { message: 'quantity must be a whole number from 1 to 1000000' })
  quantity!: number;
}

export class RegenerateInvoiceDto extends InvoiceClosingReasonDto {
  @ApiPropertyOptional({
    type: () => [RegenerateLineCorrectionDto],
    description:
      'Corrected quantities: a line billed at unit price × quantity, without a discount, bills the new quantity at the same unit price; other lines are copied',
  })
  @IsOptional()
  @IsArray({ message: 'lines must be an array of {position, quantity}' })
  @ArrayMaxSize(500, { message: 'lines must contain at most 500 corrections' })
  @ValidateNested({ each: true })
  @Type(() => RegenerateLineCorrectionDto)
  lines?: RegenerateLineCorrectionDto[];
}
