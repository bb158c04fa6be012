import { MigrationInterface, QueryRunner } from 'typeorm';

/** Payouts context: payouts, the append-only payouts ledger, balances, KYC statuses, destinations, product rules. */
export class Payouts1795269600000 implements MigrationInterface {
  name = 'Payouts1795269600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE SCHEMA IF NOT EXISTS "payouts"`);
    await queryRunner.query(
      `CREATE TABLE "payouts"."kyc_statuses" ("user_id" text NOT NULL, "status" text NOT NULL, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_88fb28010d0d907b5e51310d7b5" PRIMARY KEY ("user_id"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "payouts"."accounts" ("account_id" text NOT NULL, "balance" bigint NOT NULL, "balance_reported_at" TIMESTAMP WITH TIME ZONE NOT NULL, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_abcd260aa34b3ad2c0ff663dc20" PRIMARY KEY ("account_id"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "payouts"."destinations" ("user_id" text NOT NULL, "stripe_account_id" text NOT NULL, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_e4d8691158644ff77447b1eb654" PRIMARY KEY ("user_id"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "payouts"."ledger_entries" ("id" text NOT NULL, "account_id" text NOT NULL, "payout_id" text NOT NULL, "kind" text NOT NULL, "debit_account" text NOT NULL, "credit_account" text NOT NULL, "amount" bigint NOT NULL, "currency" text NOT NULL, "reference" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "ck_ledger_entries_two_sides" CHECK ("debit_account" <> "credit_account"), CONSTRAINT "ck_ledger_entries_amount" CHECK ("amount" >= 0), CONSTRAINT "PK_6efcb84411d3f08b08450ae75d5" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_ledger_entries_one_fee_refund" ON "payouts"."ledger_entries" ("account_id") WHERE "kind" = 'fee_refund'`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_ledger_entries_payout_kind" ON "payouts"."ledger_entries" ("payout_id", "kind") `,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_ledger_entries_account" ON "payouts"."ledger_entries" ("account_id", "kind") `,
    );
    await queryRunner.query(
      `CREATE TABLE "payouts"."payouts" ("id" text NOT NULL, "account_id" text NOT NULL, "user_id" text NOT NULL, "method" text NOT NULL, "status" text NOT NULL, "amount" bigint NOT NULL, "profit_consumed" bigint NOT NULL, "currency" text NOT NULL, "destination" text, "requires_second_approval" boolean NOT NULL, "approvals" jsonb NOT NULL DEFAULT '[]', "attempt" integer NOT NULL DEFAULT '1', "transfer_id" text, "failure_reason" text, "outcome_unknown" boolean NOT NULL DEFAULT false, "rejection_reason" text, "fee_refunded" bigint NOT NULL DEFAULT '0', "requested_at" TIMESTAMP WITH TIME ZONE NOT NULL, "paid_at" TIMESTAMP WITH TIME ZONE, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "ck_payouts_positive_amount" CHECK ("amount" > 0), CONSTRAINT "PK_76855dc4f0a6c18c72eea302e87" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "ix_payouts_status" ON "payouts"."payouts" ("status", "id") `);
    await queryRunner.query(`CREATE INDEX "ix_payouts_account" ON "payouts"."payouts" ("account_id", "id") `);
    await queryRunner.query(`CREATE INDEX "ix_payouts_user" ON "payouts"."payouts" ("user_id", "id") `);
    await queryRunner.query(
      `CREATE TABLE "payouts"."product_rules" ("product_id" text NOT NULL, "rules" jsonb NOT NULL, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_f091341a20a88e9f2bc259ae04d" PRIMARY KEY ("product_id"))`,
    );
    // The ledger is the money record: the database refuses to rewrite it.
    await queryRunner.query(`
      CREATE FUNCTION "payouts"."refuse_ledger_change"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'payouts.ledger_entries is append-only: % is not allowed', TG_OP
          USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await queryRunner.query(
      `CREATE TRIGGER "ledger_entries_append_only" BEFORE UPDATE OR DELETE ON "payouts"."ledger_entries" FOR EACH ROW EXECUTE FUNCTION "payouts"."refuse_ledger_change"()`,
    );
    await queryRunner.query(
      `CREATE TRIGGER "ledger_entries_no_truncate" BEFORE TRUNCATE ON "payouts"."ledger_entries" FOR EACH STATEMENT EXECUTE FUNCTION "payouts"."refuse_ledger_change"()`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER "ledger_entries_no_truncate" ON "payouts"."ledger_entries"`);
    await queryRunner.query(`DROP TRIGGER "ledger_entries_append_only" ON "payouts"."ledger_entries"`);
    await queryRunner.query(`DROP FUNCTION "payouts"."refuse_ledger_change"()`);
    await queryRunner.query(`DROP TABLE "payouts"."product_rules"`);
    await queryRunner.query(`DROP INDEX "payouts"."ix_payouts_user"`);
    await queryRunner.query(`DROP INDEX "payouts"."ix_payouts_account"`);
    await queryRunner.query(`DROP INDEX "payouts"."ix_payouts_status"`);
    await queryRunner.query(`DROP TABLE "payouts"."payouts"`);
    await queryRunner.query(`DROP INDEX "payouts"."ix_ledger_entries_account"`);
    await queryRunner.query(`DROP INDEX "payouts"."uq_ledger_entries_payout_kind"`);
    await queryRunner.query(`DROP INDEX "payouts"."uq_ledger_entries_one_fee_refund"`);
    await queryRunner.query(`DROP TABLE "payouts"."ledger_entries"`);
    await queryRunner.query(`DROP TABLE "payouts"."destinations"`);
    await queryRunner.query(`DROP TABLE "payouts"."accounts"`);
    await queryRunner.query(`DROP TABLE "payouts"."kyc_statuses"`);
    await queryRunner.query(`DROP SCHEMA "payouts"`);
  }
}
