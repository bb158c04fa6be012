import { MigrationInterface, QueryRunner } from 'typeorm';

/** Tasks for finance beside final payouts: a first-payout fee refund that was refused. */
export class PayoutTasks1795340000004 implements MigrationInterface {
  name = 'PayoutTasks1795340000004';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "payouts"."payout_tasks" ("id" text NOT NULL, "kind" text NOT NULL, "status" text NOT NULL, "payout_id" text NOT NULL, "account_id" text NOT NULL, "user_id" text NOT NULL, "charge_id" text, "failure_code" text, "failure_reason" text, "attempts" integer NOT NULL DEFAULT '1', "resolution" text, "resolution_note" text, "resolved_by" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL, "resolved_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "ck_payout_tasks_status" CHECK ("status" IN ('open', 'resolved')), CONSTRAINT "pk_payout_tasks" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_payout_tasks_payout_kind" ON "payouts"."payout_tasks" ("payout_id", "kind") `,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_payout_tasks_status" ON "payouts"."payout_tasks" ("status", "id") `,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "payouts"."ix_payout_tasks_status"`);
    await queryRunner.query(`DROP INDEX "payouts"."uq_payout_tasks_payout_kind"`);
    await queryRunner.query(`DROP TABLE "payouts"."payout_tasks"`);
  }
}
