import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One index fewer per usage event (issue #25, ingest near its floor). The events' primary key was
 * (customer, key, month's time) beside an index (customer, feature, time) for the period sums: two
 * btrees per event on top of the claimed key's. The primary key becomes (customer, feature, time, key):
 * it serves the period sums as the dropped index did, and a lookup of an event by its key, now that the
 * claimed key's row also records the event's feature. Exactly-once stays where it was, on
 * `billing.usage_event_keys`' (customer, key); the events' key still refuses a second copy of an event.
 *
 * The keys of months already detached for archiving have no event online to read the feature from:
 * their `feature_id` stays NULL, and a duplicate of them is answered as of an archived month, as before.
 */
export class UsageEventsKeyedByFeature1795770000000 implements MigrationInterface {
  name = 'UsageEventsKeyedByFeature1795770000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `LOCK TABLE "billing"."usage_event_keys", "billing"."usage_events" IN ACCESS EXCLUSIVE MODE`,
    );
    await queryRunner.query(`ALTER TABLE "billing"."usage_event_keys" ADD "feature_id" text`);
    // The keys are append-only; this one backfill is the migration's, with the guard off in its transaction.
    await queryRunner.query(
      `ALTER TABLE "billing"."usage_event_keys" DISABLE TRIGGER "usage_event_keys_append_only"`,
    );
    await queryRunner.query(
      `UPDATE "billing"."usage_event_keys" k SET "feature_id" = e."feature_id"
         FROM "billing"."usage_events" e
        WHERE e."customer_id" = k."customer_id" AND e."idempotency_key" = k."idempotency_key"
          AND e."occurred_at" = k."occurred_at"`,
    );
    await queryRunner.query(
      `ALTER TABLE "billing"."usage_event_keys" ENABLE TRIGGER "usage_event_keys_append_only"`,
    );
    await queryRunner.query(`ALTER TABLE "billing"."usage_events" DROP CONSTRAINT "PK_usage_events"`);
    await queryRunner.query(`DROP INDEX "billing"."ix_usage_events_customer_feature_time"`);
    await queryRunner.query(
      `ALTER TABLE "billing"."usage_events" ADD CONSTRAINT "PK_usage_events" PRIMARY KEY ("customer_id", "feature_id", "occurred_at", "idempotency_key")`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "billing"."usage_events" DROP CONSTRAINT "PK_usage_events"`);
    await queryRunner.query(
      `ALTER TABLE "billing"."usage_events" ADD CONSTRAINT "PK_usage_events" PRIMARY KEY ("customer_id", "idempotency_key", "occurred_at")`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_usage_events_customer_feature_time" ON "billing"."usage_events" ("customer_id", "feature_id", "occurred_at")`,
    );
    await queryRunner.query(`ALTER TABLE "billing"."usage_event_keys" DROP COLUMN "feature_id"`);
  }
}
