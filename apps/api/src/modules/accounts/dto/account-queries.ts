import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsOptional, IsString, Length, Matches } from 'class-validator';
import type { AccountKind, AccountStatus } from '@astrix/contracts';
import { PageQuery } from '../../../platform/http/pagination';
import { ACCOUNT_STATUSES } from '../account-lifecycle';

const ACCOUNT_KINDS = ['evaluation', 'funded'] as const satisfies readonly AccountKind[];

/** The identity service's user ids: opaque, but printable and short. */
export const USER_ID_PATTERN = /^[\w.:@-]{1,200}$/;

export class ListAccountsQuery extends PageQuery {
  @ApiPropertyOptional({ enum: ACCOUNT_STATUSES })
  @IsOptional()
  @IsIn(ACCOUNT_STATUSES, { message: `status must be one of: ${ACCOUNT_STATUSES.join(', ')}` })
  status?: AccountStatus;

  @ApiPropertyOptional({ enum: ACCOUNT_KINDS })
  @IsOptional()
  @IsIn(ACCOUNT_KINDS, { message: `kind must be one of: ${ACCOUNT_KINDS.join(', ')}` })
  kind?: AccountKind;
}

export class AdminListAccountsQuery extends ListAccountsQuery {
  @ApiPropertyOptional({ description: "The customer's user id" })
  @IsOptional()
  @Matches(USER_ID_PATTERN, { message: 'userId must be a user id' })
  userId?: string;
}

export class ResetOfferQuery {
  @ApiPropertyOptional({ example: 'USD', description: "Defaults to the account's currency" })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' ? value.trim().toUpperCase() : value,
  )
  @Matches(/^[A-Z]{3}$/, { message: 'currency must be a 3-letter ISO 4217 code' })
  currency?: string;

  @ApiPropertyOptional({ example: 'WELCOME20' })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (value === '' ? undefined : value))
  @IsString()
  @Length(1, 40)
  couponCode?: string;
}
