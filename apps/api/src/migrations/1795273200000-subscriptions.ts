import { MigrationInterface, QueryRunner } from 'typeorm';

/** Subscriptions: plans on saved cards, customer balances, subscription invoices, dunning, billing runs. */
export class Subscriptions1795273200000 implements MigrationInterface {
  name = 'Subscriptions1795273200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "billing"."billing_runs" ("id" text NOT NULL, "trigger" text NOT NULL, "status" text NOT NULL, "as_of" TIMESTAMP WITH TIME ZONE NOT NULL, "due_at_start" integer NOT NULL, "invoices_created" integer NOT NULL DEFAULT '0', "periods_closed" integer NOT NULL DEFAULT '0', "failed" integer NOT NULL DEFAULT '0', "requested_by" text NOT NULL, "started_at" TIMESTAMP WITH TIME ZONE NOT NULL, "finished_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_6cbc5e20856bf81be0e61423167" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_billing_runs_status" ON "billing"."billing_runs" ("status", "id") `,
    );
    await queryRunner.query(
      `CREATE TABLE "billing"."billing_run_failures" ("run_id" text NOT NULL, "subscription_id" text NOT NULL, "error" text NOT NULL, "failed_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_03f13f42bbef43a780fb2a8fd0d" PRIMARY KEY ("run_id", "subscription_id"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "billing"."customer_balances" ("customer_id" text NOT NULL, "currency" text NOT NULL, "balance" bigint NOT NULL, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "ck_customer_balances_non_negative" CHECK ("balance" >= 0), CONSTRAINT "PK_bd578467b971b7aefd4a78fb7ef" PRIMARY KEY ("customer_id", "currency"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "billing"."customer_balance_transactions" ("id" text NOT NULL, "customer_id" text NOT NULL, "currency" text NOT NULL, "amount" bigint NOT NULL, "balance_after" bigint NOT NULL, "kind" text NOT NULL, "reference" text NOT NULL, "invoice_id" text, "subscription_id" text, "description" text NOT NULL, "created_by" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_ca3fc39cfc0365ffa8d14bf070c" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_customer_balance_transactions_reference" ON "billing"."customer_balance_transactions" ("reference") `,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_customer_balance_transactions_customer" ON "billing"."customer_balance_transactions" ("customer_id", "id") `,
    );
    await queryRunner.query(
      `CREATE TABLE "billing"."dunning_cases" ("invoice_id" text NOT NULL, "subscription_id" text NOT NULL, "customer_id" text NOT NULL, "status" text NOT NULL, "policy" jsonb NOT NULL, "failed_attempts" integer NOT NULL, "next_attempt_at" TIMESTAMP WITH TIME ZONE, "last_failure_code" text, "last_failure_message" text, "started_at" TIMESTAMP WITH TIME ZONE NOT NULL, "resolved_at" TIMESTAMP WITH TIME ZONE, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_2a92e87415451ac6e857ffcc166" PRIMARY KEY ("invoice_id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_dunning_cases_subscription" ON "billing"."dunning_cases" ("subscription_id", "started_at") `,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_dunning_cases_due" ON "billing"."dunning_cases" ("next_attempt_at") WHERE "status" = 'active'`,
    );
    await queryRunner.query(
      `CREATE TABLE "billing"."subscriptions" ("id" text NOT NULL, "customer_id" text NOT NULL, "user_id" text NOT NULL, "product_id" text NOT NULL, "price_id" text NOT NULL, "currency" text NOT NULL, "unit_amount" bigint NOT NULL, "quantity" integer NOT NULL, "status" text NOT NULL, "interval" text NOT NULL, "interval_count" integer NOT NULL, "billing_anchor" TIMESTAMP WITH TIME ZONE NOT NULL, "trial_end" TIMESTAMP WITH TIME ZONE, "current_period_start" TIMESTAMP WITH TIME ZONE NOT NULL, "current_period_end" TIMESTAMP WITH TIME ZONE NOT NULL, "cancel_at_period_end" boolean NOT NULL DEFAULT false, "canceled_at" TIMESTAMP WITH TIME ZONE, "ended_at" TIMESTAMP WITH TIME ZONE, "paused_at" TIMESTAMP WITH TIME ZONE, "scheduled_change" jsonb, "latest_invoice_id" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "ck_subscriptions_period" CHECK ("current_period_end" > "current_period_start"), CONSTRAINT "ck_subscriptions_quantity" CHECK ("quantity" >= 1), CONSTRAINT "PK_a87248d73155605cf782be9ee5e" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_subscriptions_due" ON "billing"."subscriptions" ("current_period_end", "id") WHERE "status" IN ('trialing', 'active', 'past_due')`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_subscriptions_user" ON "billing"."subscriptions" ("user_id", "id") `,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_subscriptions_customer" ON "billing"."subscriptions" ("customer_id", "id") `,
    );
    await queryRunner.query(`ALTER TABLE "billing"."customers" ADD "default_payment_method_id" text`);
    await queryRunner.query(
      `ALTER TABLE "billing"."invoices" ADD "billing_reason" text NOT NULL DEFAULT 'purchase'`,
    );
    await queryRunner.query(`ALTER TABLE "billing"."invoices" ADD "subscription_id" text`);
    await queryRunner.query(`ALTER TABLE "billing"."invoices" ADD "period_start" TIMESTAMP WITH TIME ZONE`);
    await queryRunner.query(`ALTER TABLE "billing"."invoices" ADD "period_end" TIMESTAMP WITH TIME ZONE`);
    await queryRunner.query(`ALTER TABLE "billing"."invoices" ADD "idempotency_key" text`);
    await queryRunner.query(`ALTER TABLE "billing"."invoices" ADD "due_at" TIMESTAMP WITH TIME ZONE`);
    await queryRunner.query(
      `ALTER TABLE "billing"."invoices" ADD "credit_applied" bigint NOT NULL DEFAULT '0'`,
    );
    await queryRunner.query(`ALTER TABLE "billing"."invoices" ADD "amount_due" bigint NOT NULL DEFAULT '0'`);
    await queryRunner.query(
      `ALTER TABLE "billing"."invoices" ADD "attempt_count" integer NOT NULL DEFAULT '0'`,
    );
    await queryRunner.query(`ALTER TABLE "billing"."invoices" ADD "payment_intent_id" text`);
    await queryRunner.query(`ALTER TABLE "billing"."invoices" ADD "action_url" text`);
    await queryRunner.query(`ALTER TABLE "billing"."invoices" ADD "voided_at" TIMESTAMP WITH TIME ZONE`);
    await queryRunner.query(
      `ALTER TABLE "billing"."invoices" ADD "marked_uncollectible_at" TIMESTAMP WITH TIME ZONE`,
    );
    await queryRunner.query(
      `ALTER TABLE "billing"."invoice_lines" ADD "kind" text NOT NULL DEFAULT 'purchase'`,
    );
    await queryRunner.query(
      `ALTER TABLE "billing"."invoice_lines" ADD "period_start" TIMESTAMP WITH TIME ZONE`,
    );
    await queryRunner.query(
      `ALTER TABLE "billing"."invoice_lines" ADD "period_end" TIMESTAMP WITH TIME ZONE`,
    );
    await queryRunner.query(`ALTER TABLE "billing"."invoice_lines" ADD "feature_id" text`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_invoices_idempotency_key" ON "billing"."invoices" ("idempotency_key") `,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_invoices_customer" ON "billing"."invoices" ("customer_id", "id") `,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_invoices_subscription" ON "billing"."invoices" ("subscription_id", "id") WHERE "subscription_id" IS NOT NULL`,
    );
    await queryRunner.query(
      `ALTER TABLE "billing"."charges" ALTER COLUMN "checkout_session_id" DROP NOT NULL`,
    );
    // Balance movements are the record of what we owe customers: the database refuses to rewrite them.
    await queryRunner.query(`
      CREATE FUNCTION "billing"."refuse_balance_transaction_change"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'billing.customer_balance_transactions is append-only: % is not allowed', TG_OP
          USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await queryRunner.query(
      `CREATE TRIGGER "customer_balance_transactions_append_only" BEFORE UPDATE OR DELETE ON "billing"."customer_balance_transactions" FOR EACH ROW EXECUTE FUNCTION "billing"."refuse_balance_transaction_change"()`,
    );
    await queryRunner.query(
      `CREATE TRIGGER "customer_balance_transactions_no_truncate" BEFORE TRUNCATE ON "billing"."customer_balance_transactions" FOR EACH STATEMENT EXECUTE FUNCTION "billing"."refuse_balance_transaction_change"()`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `DROP TRIGGER "customer_balance_transactions_no_truncate" ON "billing"."customer_balance_transactions"`,
    );
    await queryRunner.query(
      `DROP TRIGGER "customer_balance_transactions_append_only" ON "billing"."customer_balance_transactions"`,
    );
    await queryRunner.query(`DROP FUNCTION "billing"."refuse_balance_transaction_change"()`);
    await queryRunner.query(
      `ALTER TABLE "billing"."charges" ALTER COLUMN "checkout_session_id" SET NOT NULL`,
    );
    await queryRunner.query(`DROP INDEX "billing"."ix_invoices_subscription"`);
    await queryRunner.query(`DROP INDEX "billing"."ix_invoices_customer"`);
    await queryRunner.query(`DROP INDEX "billing"."uq_invoices_idempotency_key"`);
    await queryRunner.query(`ALTER TABLE "billing"."invoice_lines" DROP COLUMN "feature_id"`);
    await queryRunner.query(`ALTER TABLE "billing"."invoice_lines" DROP COLUMN "period_end"`);
    await queryRunner.query(`ALTER TABLE "billing"."invoice_lines" DROP COLUMN "period_start"`);
    await queryRunner.query(`ALTER TABLE "billing"."invoice_lines" DROP COLUMN "kind"`);
    await queryRunner.query(`ALTER TABLE "billing"."invoices" DROP COLUMN "marked_uncollectible_at"`);
    await queryRunner.query(`ALTER TABLE "billing"."invoices" DROP COLUMN "voided_at"`);
    await queryRunner.query(`ALTER TABLE "billing"."invoices" DROP COLUMN "action_url"`);
    await queryRunner.query(`ALTER TABLE "billing"."invoices" DROP COLUMN "payment_intent_id"`);
    await queryRunner.query(`ALTER TABLE "billing"."invoices" DROP COLUMN "attempt_count"`);
    await queryRunner.query(`ALTER TABLE "billing"."invoices" DROP COLUMN "amount_due"`);
    await queryRunner.query(`ALTER TABLE "billing"."invoices" DROP COLUMN "credit_applied"`);
    await queryRunner.query(`ALTER TABLE "billing"."invoices" DROP COLUMN "due_at"`);
    await queryRunner.query(`ALTER TABLE "billing"."invoices" DROP COLUMN "idempotency_key"`);
    await queryRunner.query(`ALTER TABLE "billing"."invoices" DROP COLUMN "period_end"`);
    await queryRunner.query(`ALTER TABLE "billing"."invoices" DROP COLUMN "period_start"`);
    await queryRunner.query(`ALTER TABLE "billing"."invoices" DROP COLUMN "subscription_id"`);
    await queryRunner.query(`ALTER TABLE "billing"."invoices" DROP COLUMN "billing_reason"`);
    await queryRunner.query(`ALTER TABLE "billing"."customers" DROP COLUMN "default_payment_method_id"`);
    await queryRunner.query(`DROP INDEX "billing"."ix_subscriptions_customer"`);
    await queryRunner.query(`DROP INDEX "billing"."ix_subscriptions_user"`);
    await queryRunner.query(`DROP INDEX "billing"."ix_subscriptions_due"`);
    await queryRunner.query(`DROP TABLE "billing"."subscriptions"`);
    await queryRunner.query(`DROP INDEX "billing"."ix_dunning_cases_due"`);
    await queryRunner.query(`DROP INDEX "billing"."ix_dunning_cases_subscription"`);
    await queryRunner.query(`DROP TABLE "billing"."dunning_cases"`);
    await queryRunner.query(`DROP INDEX "billing"."ix_customer_balance_transactions_customer"`);
    await queryRunner.query(`DROP INDEX "billing"."uq_customer_balance_transactions_reference"`);
    await queryRunner.query(`DROP TABLE "billing"."customer_balance_transactions"`);
    await queryRunner.query(`DROP TABLE "billing"."customer_balances"`);
    await queryRunner.query(`DROP TABLE "billing"."billing_run_failures"`);
    await queryRunner.query(`DROP INDEX "billing"."ix_billing_runs_status"`);
    await queryRunner.query(`DROP TABLE "billing"."billing_runs"`);
  }
}
