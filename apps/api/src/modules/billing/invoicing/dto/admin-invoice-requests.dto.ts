import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsEmail, IsInt, IsOptional, IsString, Length, Max, MaxLength, Min } from 'class-validator';

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
