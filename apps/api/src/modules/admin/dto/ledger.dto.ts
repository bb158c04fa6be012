import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsOptional, Matches } from 'class-validator';
import { CURRENCY_CODES } from '@astrix/pricing';
import { IsInstant } from '../../../platform/http/instant';
import { PageQuery } from '../../../platform/http/pagination';

const CURRENCY_MESSAGE = 'currency must be an ISO 4217 currency code such as USD';
const upperCase = ({ value }: { value: unknown }) =>
  typeof value === 'string' ? value.trim().toUpperCase() : value;

export class TrialBalanceQuery {
  @ApiPropertyOptional({
    description:
      'Balances as they stood at this instant: entries that occurred before it count (default: now)',
  })
  @IsOptional()
  @IsInstant()
  at?: string;
}

export class AccountBalanceQuery extends TrialBalanceQuery {
  @ApiPropertyOptional({
    description: "Only this customer's lines (the customer sub-ledger)",
    example: 'cust_…',
  })
  @IsOptional()
  @Matches(/^cust_[0-9a-z]{26}$/, { message: 'customerId must be a customer id (cust_…)' })
  customerId?: string;

  @ApiPropertyOptional({ example: 'USD' })
  @IsOptional()
  @Transform(upperCase)
  @IsIn(CURRENCY_CODES, { message: CURRENCY_MESSAGE })
  currency?: string;
}

export class CustomerStatementQuery extends PageQuery {
  @ApiPropertyOptional({ description: 'Inclusive, ISO 8601 date or date-time (default: the first entry)' })
  @IsOptional()
  @IsInstant()
  from?: string;

  @ApiPropertyOptional({ description: 'Exclusive, ISO 8601 date or date-time (default: now)' })
  @IsOptional()
  @IsInstant()
  to?: string;

  @ApiPropertyOptional({ example: 'USD', description: 'One currency only (default: every currency)' })
  @IsOptional()
  @Transform(upperCase)
  @IsIn(CURRENCY_CODES, { message: CURRENCY_MESSAGE })
  currency?: string;
}
