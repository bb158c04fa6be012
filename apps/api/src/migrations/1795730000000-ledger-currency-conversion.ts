import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The account a movement booked in one currency and settled by Stripe in another passes through
 * (issue #20: realised FX on settlement; the difference goes to fx_gains_losses).
 */
export class LedgerCurrencyConversion1795730000000 implements MigrationInterface {
  name = 'LedgerCurrencyConversion1795730000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `INSERT INTO "billing"."ledger_accounts" ("code", "name", "type", "normal_side", "clearing", "description") VALUES ($1, $2, $3, $4, $5, $6)`,
      [
        'currency_conversion',
        'Currency conversion',
        'asset',
        'debit',
        false,
        'Movements booked in one currency and settled by the processor in another, at our snapshot rate (nets to zero in the reporting currency).',
      ],
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DELETE FROM "billing"."ledger_accounts" WHERE "code" = 'currency_conversion'`);
  }
}
