import { MigrationInterface, QueryRunner } from 'typeorm';

/** Schemas per context and the platform tables: API keys, audit log, idempotency, outbox, inbox. */
export class PlatformFoundation1795248000000 implements MigrationInterface {
  name = 'PlatformFoundation1795248000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const schema of ['platform', 'billing', 'accounts', 'payouts']) {
      await queryRunner.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    }
    await queryRunner.query(
      `CREATE TABLE "platform"."audit_log" ("id" text NOT NULL, "actor_type" text NOT NULL, "actor_id" text NOT NULL, "action" text NOT NULL, "resource_type" text NOT NULL, "resource_id" text NOT NULL, "before" jsonb, "after" jsonb, "request_id" text, "occurred_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_07fefa57f7f5ab8fc3f52b3ed0b" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_audit_log_occurred_at" ON "platform"."audit_log" ("occurred_at")`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_audit_log_actor" ON "platform"."audit_log" ("actor_id", "occurred_at")`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_audit_log_resource" ON "platform"."audit_log" ("resource_type", "resource_id", "occurred_at")`,
    );
    // The audit log is evidence: the database itself refuses to rewrite or erase it.
    await queryRunner.query(`
      CREATE FUNCTION "platform"."refuse_audit_log_change"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'platform.audit_log is append-only: % is not allowed', TG_OP
          USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await queryRunner.query(
      `CREATE TRIGGER "audit_log_append_only" BEFORE UPDATE OR DELETE ON "platform"."audit_log" FOR EACH ROW EXECUTE FUNCTION "platform"."refuse_audit_log_change"()`,
    );
    await queryRunner.query(
      `CREATE TRIGGER "audit_log_no_truncate" BEFORE TRUNCATE ON "platform"."audit_log" FOR EACH STATEMENT EXECUTE FUNCTION "platform"."refuse_audit_log_change"()`,
    );

    await queryRunner.query(
      `CREATE TABLE "platform"."api_keys" ("id" text NOT NULL, "name" text NOT NULL, "prefix" text NOT NULL, "key_hash" text NOT NULL, "mode" text NOT NULL, "scopes" text array NOT NULL, "created_by" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, "last_used_at" TIMESTAMP WITH TIME ZONE, "revoked_at" TIMESTAMP WITH TIME ZONE, "revoked_by" text, CONSTRAINT "PK_5c8a79801b44bd27b79228e1dad" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_api_keys_key_hash" ON "platform"."api_keys" ("key_hash")`,
    );

    await queryRunner.query(
      `CREATE TABLE "platform"."inbox_entries" ("consumer" text NOT NULL, "event_id" text NOT NULL, "event_type" text NOT NULL, "processed_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_216c35aade2fb91e8c3b3f0fe52" PRIMARY KEY ("consumer", "event_id"))`,
    );

    await queryRunner.query(
      `CREATE TABLE "platform"."outbox_events" ("position" BIGSERIAL NOT NULL, "event_id" text NOT NULL, "type" text NOT NULL, "subject" text NOT NULL, "envelope" jsonb NOT NULL, "occurred_at" TIMESTAMP WITH TIME ZONE NOT NULL, "published_at" TIMESTAMP WITH TIME ZONE, "publish_attempts" integer NOT NULL DEFAULT '0', "last_error" text, CONSTRAINT "PK_1617ea1e2213aa021cf2131a36d" PRIMARY KEY ("position"))`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_outbox_events_event_id" ON "platform"."outbox_events" ("event_id")`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_outbox_events_unpublished" ON "platform"."outbox_events" ("position") WHERE published_at IS NULL`,
    );

    await queryRunner.query(
      `CREATE TABLE "platform"."idempotency_records" ("caller_id" text NOT NULL, "key" text NOT NULL, "method" text NOT NULL, "path" text NOT NULL, "request_hash" text NOT NULL, "state" text NOT NULL, "response_status" integer, "response_body" jsonb, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, "locked_at" TIMESTAMP WITH TIME ZONE NOT NULL, "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_ad6204a51ab377889bd058d3d10" PRIMARY KEY ("caller_id", "key"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_idempotency_records_expires_at" ON "platform"."idempotency_records" ("expires_at")`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "platform"."idempotency_records"`);
    await queryRunner.query(`DROP TABLE "platform"."outbox_events"`);
    await queryRunner.query(`DROP TABLE "platform"."inbox_entries"`);
    await queryRunner.query(`DROP TABLE "platform"."api_keys"`);
    await queryRunner.query(`DROP TABLE "platform"."audit_log"`);
    await queryRunner.query(`DROP FUNCTION "platform"."refuse_audit_log_change"()`);
  }
}
