import { Body, Controller, Get, HttpCode, Post, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsOptional, IsString, Length, Matches } from 'class-validator';
import type { RequestContext } from '../../../platform/auth/actor';
import { CurrentContext, Roles } from '../../../platform/auth/access.decorators';
import { AppError } from '../../../platform/http/app-error';
import { IsCalendarDay } from '../../../platform/http/instant';
import { FxCsvError } from './ecb-csv';
import { type FxRateView, FxRates } from './fx-rates.service';

export class FxRateQuery {
  @ApiPropertyOptional({ example: '2026-03-02' })
  @IsOptional()
  @IsCalendarDay()
  day?: string;
}

export class SetFxRateDto {
  @ApiProperty({ example: '2026-03-02' })
  @IsCalendarDay()
  day!: string;

  @ApiProperty({ example: 'EUR' })
  @Matches(/^[A-Z]{3}$/, { message: 'base must be an upper-case ISO 4217 code' })
  base!: string;

  @ApiProperty({ example: 'USD' })
  @Matches(/^[A-Z]{3}$/, { message: 'quote must be an upper-case ISO 4217 code' })
  quote!: string;

  @ApiProperty({ example: '1.0832', description: '1 base = rate quote, exact decimal' })
  @Matches(/^(?!0+(\.0+)?$)\d{1,9}(\.\d{1,10})?$/, {
    message: 'rate must be a positive decimal, e.g. "1.0832"',
  })
  rate!: string;
}

export class ImportFxCsvDto {
  @ApiProperty({ description: 'An ECB-style CSV: Date, then one column per currency (1 EUR = x)' })
  @IsString()
  @Length(10, 5_000_000)
  csv!: string;
}

/** Finance keeps the daily FX rates: entered by hand or imported ECB-style; every change audited. */
@ApiTags('admin: fx')
@ApiBearerAuth()
@Controller('v1/admin/fx-rates')
export class AdminFxController {
  constructor(private readonly rates: FxRates) {}

  @Get()
  @Roles('support', 'finance')
  @ApiOperation({ summary: 'Daily FX rates (newest first, at most 500), or one day' })
  list(@Query() query: FxRateQuery): Promise<FxRateView[]> {
    return this.rates.list(query.day);
  }

  @Put()
  @Roles('finance')
  @ApiOperation({ summary: 'Sets or corrects the rate of a pair on a day' })
  set(@Body() body: SetFxRateDto, @CurrentContext() context: RequestContext): Promise<FxRateView> {
    if (body.base === body.quote) {
      throw new AppError(400, 'VALIDATION_ERROR', 'quote must differ from base', [
        { field: 'quote', message: 'must differ from base' },
      ]);
    }
    return this.rates.setRate(body, context);
  }

  @Post('import')
  @HttpCode(200)
  @Roles('finance')
  @ApiOperation({ summary: 'Imports an ECB-style CSV of daily rates (all or nothing)' })
  async import(
    @Body() body: ImportFxCsvDto,
    @CurrentContext() context: RequestContext,
  ): Promise<{ rates: number; days: number }> {
    try {
      return await this.rates.importEcbCsv(body.csv, context);
    } catch (error) {
      if (error instanceof FxCsvError) {
        throw new AppError(400, 'VALIDATION_ERROR', error.message, [
          { field: 'csv', message: error.message },
        ]);
      }
      throw error;
    }
  }
}
