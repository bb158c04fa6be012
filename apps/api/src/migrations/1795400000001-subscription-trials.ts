import { MigrationInterface, QueryRunner } from 'typeorm';

/** Subscription trials: the plan family each counted in, its overage setting, who granted another one. */
export class SubscriptionTrials1795400000001 implements MigrationInterface {
  name = 'SubscriptionTrials1795400000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "billing"."subscriptions" ADD "trial_family" text`);
    await queryRunner.query(`ALTER TABLE "billing"."subscriptions" ADD "trial_overage" text`);
    await queryRunner.query(`ALTER TABLE "billing"."subscriptions" ADD "trial_granted_by" text`);
    // Trials from before: counted in their plan's own family, their overage refused.
    await queryRunner.query(
      `UPDATE "billing"."subscriptions" SET "trial_family" = "product_id", "trial_overage" = 'refuse' WHERE "trial_end" IS NOT NULL`,
    );
    await queryRunner.query(
      `ALTER TABLE "billing"."subscriptions" ADD CONSTRAINT "ck_subscriptions_trial_overage" CHECK ("trial_overage" IN ('refuse', 'bill'))`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_subscriptions_trial_family" ON "billing"."subscriptions" ("customer_id", "trial_family") WHERE "trial_family" IS NOT NULL`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "billing"."ix_subscriptions_trial_family"`);
    await queryRunner.query(
      `ALTER TABLE "billing"."subscriptions" DROP CONSTRAINT "ck_subscriptions_trial_overage"`,
    );
    await queryRunner.query(`ALTER TABLE "billing"."subscriptions" DROP COLUMN "trial_granted_by"`);
    await queryRunner.query(`ALTER TABLE "billing"."subscriptions" DROP COLUMN "trial_overage"`);
    await queryRunner.query(`ALTER TABLE "billing"."subscriptions" DROP COLUMN "trial_family"`);
  }
}
