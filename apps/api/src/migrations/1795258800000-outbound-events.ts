import { MigrationInterface, QueryRunner } from 'typeorm';

/** Events out: the event history (sequence per subject, stream order), webhook endpoints, deliveries and their attempts. */
export class OutboundEvents1795258800000 implements MigrationInterface {
  name = 'OutboundEvents1795258800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "platform"."event_history" ("event_id" text NOT NULL, "outbox_position" bigint NOT NULL, "type" text NOT NULL, "subject" text NOT NULL, "sequence" integer NOT NULL, "user_id" text, "customer_id" text, "envelope" jsonb NOT NULL, "occurred_at" TIMESTAMP WITH TIME ZONE NOT NULL, "recorded_at" TIMESTAMP WITH TIME ZONE NOT NULL, "stream_position" bigint, CONSTRAINT "PK_e05b8a174403bda60b710280fb4" PRIMARY KEY ("event_id"))`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_event_history_stream_position" ON "platform"."event_history" ("stream_position")`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_event_history_unstreamed" ON "platform"."event_history" ("recorded_at") WHERE stream_position IS NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_event_history_occurred_at" ON "platform"."event_history" ("occurred_at")`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_event_history_customer" ON "platform"."event_history" ("customer_id", "event_id")`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_event_history_user" ON "platform"."event_history" ("user_id", "event_id")`,
    );
    await queryRunner.query(
      `CREATE TABLE "platform"."webhook_delivery_attempts" ("id" text NOT NULL, "delivery_id" text NOT NULL, "attempt" integer NOT NULL, "started_at" TIMESTAMP WITH TIME ZONE NOT NULL, "duration_ms" integer NOT NULL, "status_code" integer, "response" text, "error" text, CONSTRAINT "PK_59ef9124585b56c18b98548a0c6" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_webhook_delivery_attempts_number" ON "platform"."webhook_delivery_attempts" ("delivery_id", "attempt")`,
    );
    await queryRunner.query(
      `CREATE TABLE "platform"."webhook_deliveries" ("id" text NOT NULL, "endpoint_id" text NOT NULL, "event_id" text NOT NULL, "event_type" text NOT NULL, "status" text NOT NULL, "attempts" integer NOT NULL DEFAULT '0', "next_attempt_at" TIMESTAMP WITH TIME ZONE, "queued_at" TIMESTAMP WITH TIME ZONE, "last_status_code" integer, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, "completed_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_535dd409947fb6d8fc6dfc0112a" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_webhook_deliveries_due" ON "platform"."webhook_deliveries" ("next_attempt_at") WHERE status = 'pending'`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_webhook_deliveries_endpoint_event" ON "platform"."webhook_deliveries" ("endpoint_id", "event_id")`,
    );
    await queryRunner.query(
      `CREATE TABLE "platform"."webhook_endpoints" ("id" text NOT NULL, "url" text NOT NULL, "description" text NOT NULL DEFAULT '', "event_types" text array NOT NULL, "status" text NOT NULL, "disabled_reason" text, "secret" text NOT NULL, "previous_secret" text, "previous_secret_expires_at" TIMESTAMP WITH TIME ZONE, "failing_since" TIMESTAMP WITH TIME ZONE, "created_by" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_054c4cfb95223732f5939d2d546" PRIMARY KEY ("id"))`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "platform"."webhook_endpoints"`);
    await queryRunner.query(`DROP TABLE "platform"."webhook_deliveries"`);
    await queryRunner.query(`DROP TABLE "platform"."webhook_delivery_attempts"`);
    await queryRunner.query(`DROP TABLE "platform"."event_history"`);
  }
}
