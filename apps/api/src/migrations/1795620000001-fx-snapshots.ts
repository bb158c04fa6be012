import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Currencies (issue #20): daily FX rates (admin-entered or imported ECB-style), and the FX snapshot
 * to the reporting currency (rate, source, as-of) that each invoice and each journal line keeps.
 */
export class FxSnapshots1795620000001 implements MigrationInterface {
  name = 'FxSnapshots1795620000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "billing"."fx_rates" ("day" date NOT NULL, "base" text NOT NULL, "quote" text NOT NULL, "rate" text NOT NULL, "source" text NOT NULL, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL, "updated_by" text NOT NULL, CONSTRAINT "PK_fx_rates" PRIMARY KEY ("day", "base", "quote"))`,
    );
    for (const table of ['invoices', 'journal_lines']) {
      await queryRunner.query(`ALTER TABLE "billing"."${table}" ADD "reporting_currency" text`);
      await queryRunner.query(`ALTER TABLE "billing"."${table}" ADD "fx_rate" text`);
      await queryRunner.query(`ALTER TABLE "billing"."${table}" ADD "fx_source" text`);
      await queryRunner.query(`ALTER TABLE "billing"."${table}" ADD "fx_as_of" TIMESTAMP WITH TIME ZONE`);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['journal_lines', 'invoices']) {
      for (const column of ['fx_as_of', 'fx_source', 'fx_rate', 'reporting_currency']) {
        await queryRunner.query(`ALTER TABLE "billing"."${table}" DROP COLUMN "${column}"`);
      }
    }
    await queryRunner.query(`DROP TABLE "billing"."fx_rates"`);
  }
}
