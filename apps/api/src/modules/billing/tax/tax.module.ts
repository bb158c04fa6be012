import { Module } from '@nestjs/common';
import { AdminTaxController } from './tax.controller';
import { TaxAdmin } from './tax-admin.service';
import { AppConfig } from '../../../platform/config/app-config';
import { ProcessorModule } from '../../../platform/payment-processor/processor.module';
import { RateTableTaxCalculator, StripeTaxCalculator, TaxCalculator, TaxGapMetrics } from './tax.service';
import { TaxReports } from './tax-report.service';

/**
 * Tax: the rate table and customers' tax details (this folder is their only writer), the tax port
 * (the rate table by default; docs/finance.md "Tax model" for Stripe Tax) and the tax report.
 */
@Module({
  imports: [ProcessorModule],
  controllers: [AdminTaxController],
  providers: [
    TaxAdmin,
    TaxReports,
    TaxGapMetrics,
    RateTableTaxCalculator,
    StripeTaxCalculator,
    {
      // TAX_ENGINE (validated at start: `stripe` only with a Stripe key, never in the sandbox).
      provide: TaxCalculator,
      inject: [AppConfig, RateTableTaxCalculator, StripeTaxCalculator],
      useFactory: (
        config: AppConfig,
        rateTable: RateTableTaxCalculator,
        stripe: StripeTaxCalculator,
      ): TaxCalculator => (config.taxEngine === 'stripe' ? stripe : rateTable),
    },
  ],
  exports: [TaxAdmin, TaxReports, TaxCalculator],
})
export class TaxModule {}
