import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Coupons on subscriptions: a subscription remembers its coupon and how many period invoices it has
 * had since; a redemption belongs to a charge (checkout) or to a subscription, never both.
 */
export class SubscriptionCoupons1795287600000 implements MigrationInterface {
  name = 'SubscriptionCoupons1795287600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "billing"."subscriptions" ADD "coupon_id" text`);
    await queryRunner.query(
      `ALTER TABLE "billing"."subscriptions" ADD "coupon_periods_billed" integer NOT NULL DEFAULT '0'`,
    );
    await queryRunner.query(
      `ALTER TABLE "billing"."subscriptions" ADD CONSTRAINT "ck_subscriptions_coupon_periods" CHECK ("coupon_periods_billed" >= 0)`,
    );
    await queryRunner.query(
      `ALTER TABLE "billing"."coupon_redemptions" ALTER COLUMN "charge_id" DROP NOT NULL`,
    );
    await queryRunner.query(`ALTER TABLE "billing"."coupon_redemptions" ADD "subscription_id" text`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_coupon_redemptions_subscription_id" ON "billing"."coupon_redemptions" ("subscription_id")`,
    );
    await queryRunner.query(
      `ALTER TABLE "billing"."coupon_redemptions" ADD CONSTRAINT "ck_coupon_redemptions_one_owner" CHECK (("charge_id" IS NULL) <> ("subscription_id" IS NULL))`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DELETE FROM "billing"."coupon_redemptions" WHERE "subscription_id" IS NOT NULL`);
    await queryRunner.query(
      `ALTER TABLE "billing"."coupon_redemptions" DROP CONSTRAINT "ck_coupon_redemptions_one_owner"`,
    );
    await queryRunner.query(`DROP INDEX "billing"."uq_coupon_redemptions_subscription_id"`);
    await queryRunner.query(`ALTER TABLE "billing"."coupon_redemptions" DROP COLUMN "subscription_id"`);
    await queryRunner.query(
      `ALTER TABLE "billing"."coupon_redemptions" ALTER COLUMN "charge_id" SET NOT NULL`,
    );
    await queryRunner.query(
      `ALTER TABLE "billing"."subscriptions" DROP CONSTRAINT "ck_subscriptions_coupon_periods"`,
    );
    await queryRunner.query(`ALTER TABLE "billing"."subscriptions" DROP COLUMN "coupon_periods_billed"`);
    await queryRunner.query(`ALTER TABLE "billing"."subscriptions" DROP COLUMN "coupon_id"`);
  }
}
