import { Module } from '@nestjs/common';
import { AdminTaxController } from './tax.controller';
import { TaxAdmin } from './tax-admin.service';
import { RateTableTaxCalculator, TaxCalculator, TaxGapMetrics } from './tax.service';
import { TaxReports } from './tax-report.service';

/**
 * Tax: the rate table and customers' tax details (this folder is their only writer), the tax port
 * (the rate table by default; docs/finance.md "Tax model" for Stripe Tax) and the tax report.
 */
@Module({
  controllers: [AdminTaxController],
  providers: [
    TaxAdmin,
    TaxReports,
    TaxGapMetrics,
    { provide: TaxCalculator, useClass: RateTableTaxCalculator },
  ],
  exports: [TaxAdmin, TaxReports, TaxCalculator],
})
export class TaxModule {}
