import { MigrationInterface, QueryRunner } from 'typeorm';

/** Fraud: signals, disputes, the customer's fraud standing, and what the rules count by. */
export class Fraud1795262400000 implements MigrationInterface {
  name = 'Fraud1795262400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "billing"."ix_charges_card_fingerprint"`);
    await queryRunner.query(
      `CREATE TABLE "billing"."disputes" ("id" text NOT NULL, "charge_id" text NOT NULL, "stripe_dispute_id" text NOT NULL, "amount" bigint NOT NULL, "currency" text NOT NULL, "reason" text NOT NULL, "status" text NOT NULL, "evidence_due_by" TIMESTAMP WITH TIME ZONE, "fee_amount" bigint NOT NULL, "lost_amount" bigint NOT NULL DEFAULT '0', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL, "closed_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_3c97580d01c1a4b0b345c42a107" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "ix_disputes_charge" ON "billing"."disputes" ("charge_id")`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_disputes_stripe_dispute_id" ON "billing"."disputes" ("stripe_dispute_id")`,
    );
    await queryRunner.query(
      `CREATE TABLE "billing"."fraud_signals" ("id" text NOT NULL, "customer_id" text NOT NULL, "user_id" text NOT NULL, "source" text NOT NULL, "rule" text NOT NULL, "severity" text NOT NULL, "score" integer NOT NULL, "evidence" jsonb NOT NULL, "charge_id" text, "dedupe_key" text NOT NULL, "status" text NOT NULL, "reviewer" text, "notes" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, "reviewed_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_6d07a75e9b30fbf85c6ed3129d0" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_fraud_signals_dedupe_key" ON "billing"."fraud_signals" ("dedupe_key")`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_fraud_signals_status" ON "billing"."fraud_signals" ("status", "id")`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_fraud_signals_customer_status" ON "billing"."fraud_signals" ("customer_id", "status")`,
    );
    await queryRunner.query(`ALTER TABLE "billing"."checkout_sessions" ADD "client_ip" text`);
    await queryRunner.query(`ALTER TABLE "billing"."checkout_sessions" ADD "client_country" text`);
    await queryRunner.query(`ALTER TABLE "billing"."checkout_sessions" ADD "profile_country" text`);
    await queryRunner.query(
      `ALTER TABLE "billing"."customers" ADD "fraud_status" text NOT NULL DEFAULT 'clear'`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_checkout_sessions_client_ip" ON "billing"."checkout_sessions" ("client_ip")`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_charges_user_paid_at" ON "billing"."charges" ("user_id", "paid_at")`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_charges_card_fingerprint" ON "billing"."charges" ("card_fingerprint", "paid_at")`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "billing"."ix_charges_card_fingerprint"`);
    await queryRunner.query(`DROP INDEX "billing"."ix_charges_user_paid_at"`);
    await queryRunner.query(`DROP INDEX "billing"."ix_checkout_sessions_client_ip"`);
    await queryRunner.query(`ALTER TABLE "billing"."customers" DROP COLUMN "fraud_status"`);
    await queryRunner.query(`ALTER TABLE "billing"."checkout_sessions" DROP COLUMN "profile_country"`);
    await queryRunner.query(`ALTER TABLE "billing"."checkout_sessions" DROP COLUMN "client_country"`);
    await queryRunner.query(`ALTER TABLE "billing"."checkout_sessions" DROP COLUMN "client_ip"`);
    await queryRunner.query(`DROP INDEX "billing"."ix_fraud_signals_customer_status"`);
    await queryRunner.query(`DROP INDEX "billing"."ix_fraud_signals_status"`);
    await queryRunner.query(`DROP INDEX "billing"."uq_fraud_signals_dedupe_key"`);
    await queryRunner.query(`DROP TABLE "billing"."fraud_signals"`);
    await queryRunner.query(`DROP INDEX "billing"."uq_disputes_stripe_dispute_id"`);
    await queryRunner.query(`DROP INDEX "billing"."ix_disputes_charge"`);
    await queryRunner.query(`DROP TABLE "billing"."disputes"`);
    await queryRunner.query(
      `CREATE INDEX "ix_charges_card_fingerprint" ON "billing"."charges" ("card_fingerprint")`,
    );
  }
}
