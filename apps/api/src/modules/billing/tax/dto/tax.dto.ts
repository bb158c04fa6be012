import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsOptional, IsString, Length, Matches } from 'class-validator';
import { IsInstant } from '../../../../platform/http/instant';

export class CreateTaxRateDto {
  @ApiProperty({ example: 'GB', description: 'ISO 3166-1 alpha-2' })
  @Matches(/^[A-Za-z]{2}$/, { message: 'country must be an ISO 3166-1 alpha-2 code such as GB' })
  country!: string;

  @ApiPropertyOptional({ example: 'NY', description: 'A region with its own rate (a US state, …)' })
  @IsOptional()
  @Matches(/^[A-Za-z0-9-]{1,10}$/, { message: 'region must be 1 to 10 letters, digits or hyphens' })
  region?: string;

  @ApiProperty({ example: 'UK VAT' })
  @IsString()
  @Length(1, 80, { message: 'name must be 1 to 80 characters' })
  name!: string;

  @ApiProperty({ example: '20', description: 'Exact decimal percentage, e.g. "20" or "8.875"' })
  @Matches(/^(0|[1-9]\d?)(\.\d{1,4})?$/, {
    message: 'percentage must be a decimal percentage from 0 to 99.9999, e.g. "20" or "8.875"',
  })
  percentage!: string;

  @ApiProperty({ description: 'true: prices contain the tax (VAT); false: added on top (sales tax)' })
  @IsBoolean({ message: 'inclusive must be true or false' })
  inclusive!: boolean;

  @ApiProperty({ description: 'ISO 8601; the rate applies from this instant' })
  @IsInstant()
  validFrom!: string;

  @ApiPropertyOptional({ description: 'ISO 8601, exclusive; omit while in force' })
  @IsOptional()
  @IsInstant()
  validTo?: string;
}

export class EndTaxRateDto {
  @ApiProperty({ description: 'ISO 8601, exclusive end' })
  @IsInstant()
  validTo!: string;
}

export class TaxDetailsDto {
  @ApiProperty({ example: 'DE', nullable: true })
  @IsOptional()
  @Matches(/^[A-Za-z]{2}$/, { message: 'country must be an ISO 3166-1 alpha-2 code such as DE' })
  country!: string | null;

  @ApiPropertyOptional({ nullable: true })
  @IsOptional()
  @Matches(/^[A-Za-z0-9-]{1,10}$/, { message: 'region must be 1 to 10 letters, digits or hyphens' })
  region?: string | null;

  @ApiPropertyOptional({ nullable: true })
  @IsOptional()
  @Matches(/^[A-Za-z0-9 -]{2,12}$/, {
    message: 'postalCode must be 2 to 12 letters, digits, spaces or hyphens',
  })
  postalCode?: string | null;

  @ApiPropertyOptional({ example: 'DE123456789', nullable: true, description: 'Business VAT id (EU, GB)' })
  @IsOptional()
  @IsString()
  @Length(2, 20, { message: 'vatId must be 2 to 20 characters' })
  vatId?: string | null;

  @ApiPropertyOptional({ example: 'EUR', nullable: true })
  @IsOptional()
  @Matches(/^[A-Za-z]{3}$/, { message: 'billingCurrency must be an ISO 4217 code such as EUR' })
  billingCurrency?: string | null;
}

export class TaxReportQuery {
  @ApiProperty({ description: 'Inclusive, ISO 8601 date or date-time (UTC when no offset)' })
  @IsInstant()
  from!: string;

  @ApiProperty({ description: 'Exclusive, ISO 8601 date or date-time' })
  @IsInstant()
  to!: string;
}
