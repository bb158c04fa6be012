import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import type { ProductKind } from '@astrix/contracts';
import { PageQuery } from '../../../../platform/http/pagination';
import { PRODUCT_KINDS } from '../catalog-views';
import type { ProductStatus } from '../product.entity';
import { IsCurrencyCode, NormalizeCurrency } from './currency';

const KIND_MESSAGE = `kind must be one of: ${PRODUCT_KINDS.join(', ')}`;

/** What the web app asks for: products it can sell in one currency. */
export class ListProductsQuery {
  @ApiProperty({ example: 'USD', description: 'Only products priced in this currency, with that price' })
  @NormalizeCurrency()
  @IsCurrencyCode()
  currency!: string;

  @ApiPropertyOptional({ enum: PRODUCT_KINDS })
  @IsOptional()
  @IsIn(PRODUCT_KINDS, { message: KIND_MESSAGE })
  kind?: ProductKind;
}

export class AdminListProductsQuery extends PageQuery {
  @ApiPropertyOptional({ enum: PRODUCT_KINDS })
  @IsOptional()
  @IsIn(PRODUCT_KINDS, { message: KIND_MESSAGE })
  kind?: ProductKind;

  @ApiPropertyOptional({ enum: ['active', 'archived'], description: 'Both when absent' })
  @IsOptional()
  @IsIn(['active', 'archived'], { message: 'status must be active or archived' })
  status?: ProductStatus;
}
