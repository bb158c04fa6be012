import { MigrationInterface, QueryRunner } from 'typeorm';

/** A billing anchor day (1–28) per subscription; null keeps periods anchored on when billing started. */
export class SubscriptionBillingAnchorDay1795400000005 implements MigrationInterface {
  name = 'SubscriptionBillingAnchorDay1795400000005';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "billing"."subscriptions" ADD "billing_anchor_day" integer`);
    await queryRunner.query(
      `ALTER TABLE "billing"."subscriptions" ADD CONSTRAINT "ck_subscriptions_billing_anchor_day" CHECK ("billing_anchor_day" BETWEEN 1 AND 28)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "billing"."subscriptions" DROP CONSTRAINT "ck_subscriptions_billing_anchor_day"`,
    );
    await queryRunner.query(`ALTER TABLE "billing"."subscriptions" DROP COLUMN "billing_anchor_day"`);
  }
}
