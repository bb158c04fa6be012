import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsOptional, IsString, IsUrl, Length, Matches } from 'class-validator';

const upperCase = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' ? value.trim().toUpperCase() : value;

export class CreateCheckoutSessionDto {
  @ApiProperty({ example: 'prd_01jd…' })
  @IsString()
  @Matches(/^prd_[0-9a-z]{26}$/, { message: 'productId must be a product id (prd_…)' })
  productId!: string;

  @ApiProperty({ example: 'USD' })
  @Transform(upperCase)
  @IsString()
  @Matches(/^[A-Z]{3}$/, { message: 'currency must be a 3-letter ISO 4217 code' })
  currency!: string;

  @ApiPropertyOptional({ example: 'WELCOME20' })
  @IsOptional()
  @IsString()
  @Length(1, 40)
  couponCode?: string;

  @ApiPropertyOptional({ description: 'Required for resets: the account to reset' })
  @IsOptional()
  @IsString()
  @Matches(/^acc_[0-9a-z]{26}$/, { message: 'accountId must be an account id (acc_…)' })
  accountId?: string;

  @ApiPropertyOptional({ description: 'Where the payment page sends the trader afterwards' })
  @IsOptional()
  @IsUrl({ protocols: ['https', 'http'], require_tld: false, require_protocol: true })
  successUrl?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsUrl({ protocols: ['https', 'http'], require_tld: false, require_protocol: true })
  cancelUrl?: string;
}
