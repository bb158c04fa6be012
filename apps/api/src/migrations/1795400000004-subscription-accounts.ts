import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Subscription-backed accounts name their subscription, so its state suspends and reinstates only
 * the accounts it pays for (before, every subscription account of the user).
 */
export class SubscriptionAccounts1795400000004 implements MigrationInterface {
  name = 'SubscriptionAccounts1795400000004';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "accounts"."accounts" ADD "subscription_id" text`);
    await queryRunner.query(
      `CREATE INDEX "ix_accounts_subscription" ON "accounts"."accounts" ("subscription_id") WHERE "subscription_id" IS NOT NULL`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "accounts"."ix_accounts_subscription"`);
    await queryRunner.query(`ALTER TABLE "accounts"."accounts" DROP COLUMN "subscription_id"`);
  }
}
