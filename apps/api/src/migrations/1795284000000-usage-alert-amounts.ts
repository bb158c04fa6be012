import { MigrationInterface, QueryRunner } from 'typeorm';

/** Usage alerts on an amount of usage charges, beside percent of allowance and units. */
export class UsageAlertAmounts1795284000000 implements MigrationInterface {
  name = 'UsageAlertAmounts1795284000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "billing"."usage_alerts" DROP CONSTRAINT "ck_usage_alerts_kind"`);
    await queryRunner.query(
      `ALTER TABLE "billing"."usage_alerts" ADD CONSTRAINT "ck_usage_alerts_kind" CHECK ("kind" IN ('percent_of_allowance', 'quantity', 'amount'))`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DELETE FROM "billing"."usage_alerts" WHERE "kind" = 'amount'`);
    await queryRunner.query(`ALTER TABLE "billing"."usage_alerts" DROP CONSTRAINT "ck_usage_alerts_kind"`);
    await queryRunner.query(
      `ALTER TABLE "billing"."usage_alerts" ADD CONSTRAINT "ck_usage_alerts_kind" CHECK ("kind" IN ('percent_of_allowance', 'quantity'))`,
    );
  }
}
