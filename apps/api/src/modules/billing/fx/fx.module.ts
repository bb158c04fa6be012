import { Module } from '@nestjs/common';
import { AdminFxController } from './fx.controller';
import { FxRates } from './fx-rates.service';

/** FX: the daily rate table (its only writer) and snapshots to the reporting currency. */
@Module({
  controllers: [AdminFxController],
  providers: [FxRates],
  exports: [FxRates],
})
export class FxModule {}
