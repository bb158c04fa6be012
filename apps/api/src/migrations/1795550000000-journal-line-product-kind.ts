import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The product kind a journal line is about (evaluation, instant_funded, reset, subscription,
 * add_on, usage), so the revenue report can group contra-revenue lines (discounts, refunds) by
 * kind although the chart has one account for each. Null where no kind applies or is known.
 */
export class JournalLineProductKind1795550000000 implements MigrationInterface {
  name = 'JournalLineProductKind1795550000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "billing"."journal_lines" ADD "product_kind" text`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "billing"."journal_lines" DROP COLUMN "product_kind"`);
  }
}
