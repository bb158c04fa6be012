import { MigrationInterface, QueryRunner } from 'typeorm';

/** Accounts context: trading accounts, their append-only status history, resets, platform events, holds. */
export class Accounts1795255200000 implements MigrationInterface {
  name = 'Accounts1795255200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "accounts"."accounts" ("id" text NOT NULL, "user_id" text NOT NULL, "kind" text NOT NULL, "status" text NOT NULL, "size" integer NOT NULL, "currency" text NOT NULL, "phase" integer NOT NULL, "phases" integer NOT NULL, "starting_balance" bigint NOT NULL, "rules" jsonb NOT NULL, "product_id" text NOT NULL, "product_kind" text NOT NULL, "charge_id" text NOT NULL, "reset_count" integer NOT NULL DEFAULT '0', "first_trade_at" TIMESTAMP WITH TIME ZONE, "suspended_by" text, "status_changed_at" TIMESTAMP WITH TIME ZONE NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "ck_accounts_positive_starting_balance" CHECK ("starting_balance" > 0), CONSTRAINT "PK_5a7a02c20412299d198e097a8fe" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_accounts_charge_id" ON "accounts"."accounts" ("charge_id")`,
    );
    await queryRunner.query(`CREATE INDEX "ix_accounts_user" ON "accounts"."accounts" ("user_id", "id")`);
    await queryRunner.query(
      `CREATE TABLE "accounts"."resets" ("id" text NOT NULL, "account_id" text NOT NULL, "charge_id" text NOT NULL, "outcome" text NOT NULL, "from_status" text, "reset_count" integer NOT NULL, "refusal_reason" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_2218eb1e7136379439bf7d0159a" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_resets_charge_id" ON "accounts"."resets" ("charge_id")`);
    await queryRunner.query(`CREATE INDEX "ix_resets_account" ON "accounts"."resets" ("account_id", "id")`);
    await queryRunner.query(
      `CREATE TABLE "accounts"."account_status_history" ("id" text NOT NULL, "account_id" text NOT NULL, "from_status" text, "to_status" text NOT NULL, "reason" text NOT NULL, "actor" text NOT NULL, "occurred_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_63623a246095c86889183fb6357" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_account_status_history_account" ON "accounts"."account_status_history" ("account_id", "id")`,
    );
    // The history is the account's record: like the audit log, the database refuses to rewrite it.
    await queryRunner.query(`
      CREATE FUNCTION "accounts"."refuse_status_history_change"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'accounts.account_status_history is append-only: % is not allowed', TG_OP
          USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await queryRunner.query(
      `CREATE TRIGGER "account_status_history_append_only" BEFORE UPDATE OR DELETE ON "accounts"."account_status_history" FOR EACH ROW EXECUTE FUNCTION "accounts"."refuse_status_history_change"()`,
    );
    await queryRunner.query(
      `CREATE TRIGGER "account_status_history_no_truncate" BEFORE TRUNCATE ON "accounts"."account_status_history" FOR EACH STATEMENT EXECUTE FUNCTION "accounts"."refuse_status_history_change"()`,
    );
    await queryRunner.query(
      `CREATE TABLE "accounts"."trading_platform_events" ("event_id" text NOT NULL, "account_id" text NOT NULL, "request_hash" text NOT NULL, "response" jsonb NOT NULL, "received_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_1e2b8d8383c9557f4b08379a42c" PRIMARY KEY ("event_id"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "accounts"."user_holds" ("user_id" text NOT NULL, "reason" text NOT NULL, "created_by" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_a95790c01e156dfb6c9528c0fd2" PRIMARY KEY ("user_id"))`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "accounts"."user_holds"`);
    await queryRunner.query(`DROP TABLE "accounts"."trading_platform_events"`);
    await queryRunner.query(`DROP TABLE "accounts"."account_status_history"`);
    await queryRunner.query(`DROP FUNCTION "accounts"."refuse_status_history_change"()`);
    await queryRunner.query(`DROP INDEX "accounts"."ix_resets_account"`);
    await queryRunner.query(`DROP INDEX "accounts"."uq_resets_charge_id"`);
    await queryRunner.query(`DROP TABLE "accounts"."resets"`);
    await queryRunner.query(`DROP INDEX "accounts"."ix_accounts_user"`);
    await queryRunner.query(`DROP INDEX "accounts"."uq_accounts_charge_id"`);
    await queryRunner.query(`DROP TABLE "accounts"."accounts"`);
  }
}
