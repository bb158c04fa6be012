import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Usage metering and entitlements: features, plan grants, usage prices, per-customer grants and overrides,
 * the append-only usage ledger, threshold alerts and their once-per-period firings.
 */
export class UsageEntitlements1795276800000 implements MigrationInterface {
  name = 'UsageEntitlements1795276800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "billing"."customer_entitlements" ("id" text NOT NULL, "customer_id" text NOT NULL, "feature_id" text NOT NULL, "kind" text NOT NULL, "enabled" boolean NOT NULL, "limit" bigint, "expires_at" TIMESTAMP WITH TIME ZONE, "reason" text NOT NULL, "created_by" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, "revoked_at" TIMESTAMP WITH TIME ZONE, "revoked_by" text, CONSTRAINT "ck_customer_entitlements_kind" CHECK ("kind" IN ('grant', 'override')), CONSTRAINT "PK_cc538edf73d9d82e6d79616da4f" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_customer_entitlements_customer" ON "billing"."customer_entitlements" ("customer_id", "id") `,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_customer_entitlements_live" ON "billing"."customer_entitlements" ("customer_id", "feature_id") WHERE "revoked_at" IS NULL`,
    );
    await queryRunner.query(
      `CREATE TABLE "billing"."entitlements_version" ("id" integer NOT NULL, "version" bigint NOT NULL, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_872d368588ea4b6071f681b264f" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "billing"."features" ("id" text NOT NULL, "name" text NOT NULL, "description" text, "kind" text NOT NULL, "unit" text, "aggregation" text, "aggregation_property" text, "status" text NOT NULL DEFAULT 'active', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "ck_features_aggregation" CHECK (("kind" = 'boolean' AND "aggregation" IS NULL) OR ("kind" <> 'boolean' AND "aggregation" IN ('sum', 'count', 'max', 'unique_count', 'latest'))), CONSTRAINT "ck_features_kind" CHECK ("kind" IN ('boolean', 'limit', 'metered')), CONSTRAINT "PK_5c1e336df2f4a7051e5bf08a941" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "billing"."plan_features" ("product_id" text NOT NULL, "feature_id" text NOT NULL, "limit" bigint, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_d472871dc3db24b90cde9adad01" PRIMARY KEY ("product_id", "feature_id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_plan_features_feature" ON "billing"."plan_features" ("feature_id") `,
    );
    await queryRunner.query(
      `CREATE TABLE "billing"."usage_alerts" ("id" text NOT NULL, "customer_id" text, "feature_id" text NOT NULL, "kind" text NOT NULL, "threshold" bigint NOT NULL, "created_by" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, "deleted_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "ck_usage_alerts_threshold" CHECK ("threshold" > 0), CONSTRAINT "ck_usage_alerts_kind" CHECK ("kind" IN ('percent_of_allowance', 'quantity')), CONSTRAINT "PK_9bfa7dc69924946cb25d63e43c6" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_usage_alerts_feature" ON "billing"."usage_alerts" ("feature_id", "customer_id") `,
    );
    await queryRunner.query(
      `CREATE TABLE "billing"."usage_alert_firings" ("alert_id" text NOT NULL, "customer_id" text NOT NULL, "period_start" TIMESTAMP WITH TIME ZONE NOT NULL, "used" bigint NOT NULL, "fired_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_d8111dc0d6e14d1bbd13625e84a" PRIMARY KEY ("alert_id", "customer_id", "period_start"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "billing"."usage_events" ("customer_id" text NOT NULL, "idempotency_key" text NOT NULL, "id" text NOT NULL, "feature_id" text NOT NULL, "quantity" bigint NOT NULL, "occurred_at" TIMESTAMP WITH TIME ZONE NOT NULL, "service_id" text, "properties" jsonb, "correction_of" text, "reported_by" text NOT NULL, "received_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_3c485ccb849d3eac32975f5dd33" PRIMARY KEY ("customer_id", "idempotency_key"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_usage_events_corrections" ON "billing"."usage_events" ("customer_id", "correction_of") WHERE "correction_of" IS NOT NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_usage_events_customer_feature_time" ON "billing"."usage_events" ("customer_id", "feature_id", "occurred_at") `,
    );
    await queryRunner.query(
      `CREATE TABLE "billing"."usage_prices" ("product_id" text NOT NULL, "feature_id" text NOT NULL, "currency" text NOT NULL, "price" jsonb NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_347625910764607305ab76c7dc2" PRIMARY KEY ("product_id", "feature_id", "currency"))`,
    );
    await queryRunner.query(
      `INSERT INTO "billing"."entitlements_version" ("id", "version", "updated_at") VALUES (1, 0, now())`,
    );
    await queryRunner.query(`
      CREATE FUNCTION "billing"."refuse_usage_event_change"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'billing.usage_events is append-only: % is not allowed', TG_OP
          USING HINT = 'report a correction: a new event with a negative quantity and correctionOf';
      END $$`);
    await queryRunner.query(
      `CREATE TRIGGER "usage_events_append_only" BEFORE UPDATE OR DELETE ON "billing"."usage_events" FOR EACH ROW EXECUTE FUNCTION "billing"."refuse_usage_event_change"()`,
    );
    await queryRunner.query(
      `CREATE TRIGGER "usage_events_no_truncate" BEFORE TRUNCATE ON "billing"."usage_events" FOR EACH STATEMENT EXECUTE FUNCTION "billing"."refuse_usage_event_change"()`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "billing"."usage_events"`);
    await queryRunner.query(`DROP FUNCTION "billing"."refuse_usage_event_change"()`);
    for (const table of [
      'usage_prices',
      'usage_alert_firings',
      'usage_alerts',
      'plan_features',
      'features',
      'entitlements_version',
      'customer_entitlements',
    ]) {
      await queryRunner.query(`DROP TABLE "billing"."${table}"`);
    }
  }
}
