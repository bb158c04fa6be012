import { MigrationInterface, QueryRunner } from 'typeorm';

/** Usage whose alerts are still to be evaluated, written with the events so a crash cannot lose it. */
export class UsageAlertPending1795291200000 implements MigrationInterface {
  name = 'UsageAlertPending1795291200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "billing"."usage_alert_pending" ("customer_id" text NOT NULL, "feature_id" text NOT NULL, "marked_by" text NOT NULL, "marked_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_b80f0620e88ae288d542d4a08fc" PRIMARY KEY ("customer_id", "feature_id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_usage_alert_pending_marked_at" ON "billing"."usage_alert_pending" ("marked_at")`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "billing"."ix_usage_alert_pending_marked_at"`);
    await queryRunner.query(`DROP TABLE "billing"."usage_alert_pending"`);
  }
}
