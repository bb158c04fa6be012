import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Reconciliation against Stripe (billing/reconciliation): a run per (UTC day, processor account)
 * with its cursor, the balance transactions it reconciled (the sub-ledger of its journal entries),
 * the exceptions it raised (finance's work queue: open until resolved) and the Stripe payouts to
 * the bank it saw.
 */
export class Reconciliation1795560000000 implements MigrationInterface {
  name = 'Reconciliation1795560000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "billing"."reconciliation_runs" ("id" text NOT NULL, "day" text NOT NULL, "account" text NOT NULL, "status" text NOT NULL, "cursor" text, "pages" integer NOT NULL DEFAULT '0', "counts" jsonb, "error" text, "requested_by" text NOT NULL, "started_at" TIMESTAMP WITH TIME ZONE NOT NULL, "heartbeat_at" TIMESTAMP WITH TIME ZONE NOT NULL, "completed_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_4edbdb165c9e754997036a4176a" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_reconciliation_runs_day_account" ON "billing"."reconciliation_runs" ("day", "account")`,
    );
    await queryRunner.query(
      `CREATE TABLE "billing"."reconciliation_items" ("balance_transaction_id" text NOT NULL, "run_id" text NOT NULL, "type" text NOT NULL, "source_id" text, "our_source_type" text, "our_source_id" text, "outcome" text NOT NULL, "currency" text NOT NULL, "amount" bigint NOT NULL, "fee" bigint NOT NULL, "net" bigint NOT NULL, "our_amount" bigint, "available_on" TIMESTAMP WITH TIME ZONE NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_092f63836ae0160c435e8977b4a" PRIMARY KEY ("balance_transaction_id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_reconciliation_items_our_source" ON "billing"."reconciliation_items" ("our_source_id")`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_reconciliation_items_run" ON "billing"."reconciliation_items" ("run_id")`,
    );
    await queryRunner.query(
      `CREATE TABLE "billing"."reconciliation_exceptions" ("id" text NOT NULL, "run_id" text NOT NULL, "day" text NOT NULL, "kind" text NOT NULL, "subject" text NOT NULL, "balance_transaction_id" text, "our_source_type" text, "our_source_id" text, "currency" text NOT NULL, "processor_amount" bigint, "our_amount" bigint, "message" text NOT NULL, "status" text NOT NULL, "resolved_by" text, "resolution" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, "resolved_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_d1cdb3833631e18e1dd635895e0" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_reconciliation_exceptions_status" ON "billing"."reconciliation_exceptions" ("status", "created_at")`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_reconciliation_exceptions_subject" ON "billing"."reconciliation_exceptions" ("run_id", "kind", "subject")`,
    );
    await queryRunner.query(
      `CREATE TABLE "billing"."reconciliation_payouts" ("payout_id" text NOT NULL, "run_id" text NOT NULL, "amount" bigint NOT NULL, "currency" text NOT NULL, "status" text NOT NULL, "automatic" boolean NOT NULL, "swept_net" bigint, "arrival_date" TIMESTAMP WITH TIME ZONE NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_a4b7ace518468e74163cfc0c07a" PRIMARY KEY ("payout_id"))`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "billing"."reconciliation_payouts"`);
    await queryRunner.query(`DROP TABLE "billing"."reconciliation_exceptions"`);
    await queryRunner.query(`DROP TABLE "billing"."reconciliation_items"`);
    await queryRunner.query(`DROP TABLE "billing"."reconciliation_runs"`);
  }
}
