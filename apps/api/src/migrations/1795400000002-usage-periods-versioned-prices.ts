import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Usage billed on every path (issue 17): usage periods closed before their period's end (cancel now,
 * pause, plan change now) waiting for their invoice; usage prices versioned by effective time (a
 * change supersedes, never rewrites; existing prices are in force from their creation); plan features
 * archived instead of deleted.
 */
export class UsagePeriodsVersionedPrices1795400000002 implements MigrationInterface {
  name = 'UsagePeriodsVersionedPrices1795400000002';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "billing"."usage_periods" ("id" text NOT NULL, "subscription_id" text NOT NULL, "customer_id" text NOT NULL, "product_id" text NOT NULL, "currency" text NOT NULL, "period_start" TIMESTAMP WITH TIME ZONE NOT NULL, "period_end" TIMESTAMP WITH TIME ZONE NOT NULL, "closed_by" text NOT NULL, "invoice_key" text, "invoiced_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "ck_usage_periods_window" CHECK ("period_start" < "period_end"), CONSTRAINT "PK_77b27e738cf560cd8645f6d87fa" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_usage_periods_subscription" ON "billing"."usage_periods" ("subscription_id", "period_end") `,
    );
    await queryRunner.query(
      `ALTER TABLE "billing"."plan_features" ADD "archived_at" TIMESTAMP WITH TIME ZONE`,
    );
    await queryRunner.query(
      `ALTER TABLE "billing"."usage_prices" ADD "effective_from" TIMESTAMP WITH TIME ZONE`,
    );
    await queryRunner.query(`UPDATE "billing"."usage_prices" SET "effective_from" = "created_at"`);
    await queryRunner.query(
      `ALTER TABLE "billing"."usage_prices" ALTER COLUMN "effective_from" SET NOT NULL`,
    );
    await queryRunner.query(
      `ALTER TABLE "billing"."usage_prices" ADD "effective_to" TIMESTAMP WITH TIME ZONE`,
    );
    await queryRunner.query(
      `ALTER TABLE "billing"."usage_prices" DROP CONSTRAINT "PK_347625910764607305ab76c7dc2"`,
    );
    await queryRunner.query(
      `ALTER TABLE "billing"."usage_prices" ADD CONSTRAINT "PK_350a4eb8024454e0df0acbd9185" PRIMARY KEY ("feature_id", "product_id", "currency", "effective_from")`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DELETE FROM "billing"."usage_prices" WHERE "effective_to" IS NOT NULL`);
    await queryRunner.query(
      `ALTER TABLE "billing"."usage_prices" DROP CONSTRAINT "PK_350a4eb8024454e0df0acbd9185"`,
    );
    await queryRunner.query(
      `ALTER TABLE "billing"."usage_prices" ADD CONSTRAINT "PK_347625910764607305ab76c7dc2" PRIMARY KEY ("feature_id", "product_id", "currency")`,
    );
    await queryRunner.query(`ALTER TABLE "billing"."usage_prices" DROP COLUMN "effective_to"`);
    await queryRunner.query(`ALTER TABLE "billing"."usage_prices" DROP COLUMN "effective_from"`);
    await queryRunner.query(`DELETE FROM "billing"."plan_features" WHERE "archived_at" IS NOT NULL`);
    await queryRunner.query(`ALTER TABLE "billing"."plan_features" DROP COLUMN "archived_at"`);
    await queryRunner.query(`DROP INDEX "billing"."ix_usage_periods_subscription"`);
    await queryRunner.query(`DROP TABLE "billing"."usage_periods"`);
  }
}
