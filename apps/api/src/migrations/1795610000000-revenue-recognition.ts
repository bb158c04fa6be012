import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Revenue recognition (issue #20): the recognition policy of each product kind, as data, seeded
 * with the documented choice (docs/finance.md "Recognition policies"), and the recognition schedule
 * of every invoice line whose revenue is earned over time.
 */
export class RevenueRecognition1795610000000 implements MigrationInterface {
  name = 'RevenueRecognition1795610000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "billing"."recognition_policies" ("product_kind" text NOT NULL, "method" text NOT NULL, "duration_days" integer, "description" text NOT NULL, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_by" text, CONSTRAINT "ck_recognition_policies_method" CHECK ("method" IN ('point_in_time', 'service_period', 'expected_duration')), CONSTRAINT "ck_recognition_policies_duration" CHECK (("method" = 'expected_duration') = ("duration_days" IS NOT NULL) AND ("duration_days" IS NULL OR "duration_days" BETWEEN 1 AND 3660)), CONSTRAINT "PK_recognition_policies" PRIMARY KEY ("product_kind"))`,
    );
    await queryRunner.query(
      `INSERT INTO "billing"."recognition_policies" ("product_kind", "method", "duration_days", "description") VALUES
        ('evaluation', 'expected_duration', 30, 'Ratably by day over the expected length of an evaluation (30 days) from the invoice date.'),
        ('instant_funded', 'expected_duration', 30, 'Ratably by day over the first 30 days of the funded account from the invoice date.'),
        ('reset', 'point_in_time', NULL, 'Earned when the reset is applied (the invoice date).'),
        ('subscription', 'service_period', NULL, 'Ratably by day over the service period of the invoice line.'),
        ('add_on', 'point_in_time', NULL, 'Earned on the invoice date.'),
        ('usage', 'point_in_time', NULL, 'Earned at the end of the usage period (usage is invoiced then).')`,
    );
    await queryRunner.query(
      `CREATE TABLE "billing"."revenue_schedules" ("id" text NOT NULL, "invoice_id" text NOT NULL, "line_position" integer NOT NULL, "customer_id" text NOT NULL, "product_kind" text NOT NULL, "account" text NOT NULL, "currency" text NOT NULL, "amount" bigint NOT NULL, "start_at" TIMESTAMP WITH TIME ZONE NOT NULL, "end_at" TIMESTAMP WITH TIME ZONE NOT NULL, "first_day" date NOT NULL, "last_day" date NOT NULL, "recognized" bigint NOT NULL DEFAULT '0', "reduced" bigint NOT NULL DEFAULT '0', "credited" bigint NOT NULL DEFAULT '0', "recognized_through" date, "basis_start" date NOT NULL, "basis_amount" bigint NOT NULL, "basis_recognized" bigint NOT NULL DEFAULT '0', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "ck_revenue_schedules_days" CHECK ("first_day" <= "last_day"), CONSTRAINT "PK_revenue_schedules" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_revenue_schedules_line" ON "billing"."revenue_schedules" ("invoice_id", "line_position") `,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_revenue_schedules_pending" ON "billing"."revenue_schedules" ("last_day", "recognized_through") `,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "billing"."revenue_schedules"`);
    await queryRunner.query(`DROP TABLE "billing"."recognition_policies"`);
  }
}
