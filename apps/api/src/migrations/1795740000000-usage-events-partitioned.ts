import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Usage events partitioned by month (issue #21, retention): `billing.usage_events` becomes a table
 * partitioned by range of `occurred_at`, one partition per UTC month in schema `billing_usage`
 * (`usage_events_y2026m01`…) and a DEFAULT partition that takes any event whose month has no
 * partition yet, so an ingest is never refused for a missing partition. A closed month can be
 * detached to schema `billing_archive` for archiving (`pnpm cli usage detach-month`): detached, not
 * deleted — the archived table keeps its rows and refuses UPDATE, DELETE and TRUNCATE.
 *
 * Exactly-once per (customer, idempotency key): a unique index of a partitioned table must contain
 * the partition key, and the key does not. So `billing.usage_event_keys` (unpartitioned, append-only,
 * one small row per event) holds the key, claimed by a BEFORE INSERT trigger on every partition in
 * the inserting statement: a key already claimed skips the row (as ON CONFLICT DO NOTHING did), and a
 * concurrent claim waits on the key's unique index entry until the first writer commits or rolls back.
 * The same event written back (same id, key and time: a customer restore, a move out of DEFAULT) passes.
 *
 * Partitions are made by `billing.create_usage_event_partitions(from, through)` (SECURITY DEFINER: the
 * app role does not own the table), called here and by the workers' `maintenance.usage-partitions`
 * job, which keeps months ahead. Existing rows are copied into the new table (one statement; the
 * table is locked for its duration) and the old table is dropped.
 */
export class UsageEventsPartitioned1795740000000 implements MigrationInterface {
  name = 'UsageEventsPartitioned1795740000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`LOCK TABLE "billing"."usage_events" IN ACCESS EXCLUSIVE MODE`);
    await queryRunner.query(`CREATE SCHEMA IF NOT EXISTS "billing_usage"`);
    await queryRunner.query(`CREATE SCHEMA IF NOT EXISTS "billing_archive"`);
    await queryRunner.query(`ALTER TABLE "billing"."usage_events" RENAME TO "usage_events_unpartitioned"`);
    await queryRunner.query(
      `ALTER INDEX "billing"."ix_usage_events_corrections" RENAME TO "ix_usage_events_unpartitioned_corrections"`,
    );
    await queryRunner.query(
      `ALTER INDEX "billing"."ix_usage_events_customer_feature_time" RENAME TO "ix_usage_events_unpartitioned_time"`,
    );
    await queryRunner.query(
      `CREATE TABLE "billing"."usage_events" ("customer_id" text NOT NULL, "idempotency_key" text NOT NULL, "id" text NOT NULL, "feature_id" text NOT NULL, "quantity" bigint NOT NULL, "occurred_at" TIMESTAMP WITH TIME ZONE NOT NULL, "service_id" text, "properties" jsonb, "correction_of" text, "reported_by" text NOT NULL, "received_at" TIMESTAMP WITH TIME ZONE NOT NULL) PARTITION BY RANGE ("occurred_at")`,
    );
    // Serves lookups by (customer, key) on each partition; it contains the partition key, as required.
    await queryRunner.query(
      `ALTER TABLE "billing"."usage_events" ADD CONSTRAINT "PK_usage_events" PRIMARY KEY ("customer_id", "idempotency_key", "occurred_at")`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_usage_events_corrections" ON "billing"."usage_events" ("customer_id", "correction_of") WHERE "correction_of" IS NOT NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_usage_events_customer_feature_time" ON "billing"."usage_events" ("customer_id", "feature_id", "occurred_at")`,
    );
    await queryRunner.query(
      `CREATE TABLE "billing"."usage_event_keys" ("customer_id" text NOT NULL, "idempotency_key" text NOT NULL, "occurred_at" TIMESTAMP WITH TIME ZONE NOT NULL, "id" text NOT NULL, CONSTRAINT "PK_usage_event_keys" PRIMARY KEY ("customer_id", "idempotency_key"))`,
    );
    await queryRunner.query(`
      CREATE FUNCTION "billing"."refuse_usage_event_key_change"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'billing.usage_event_keys is append-only: % is not allowed', TG_OP
          USING HINT = 'an idempotency key, once claimed by a usage event, stays claimed';
      END $$`);
    await queryRunner.query(
      `CREATE TRIGGER "usage_event_keys_append_only" BEFORE UPDATE OR DELETE ON "billing"."usage_event_keys" FOR EACH ROW EXECUTE FUNCTION "billing"."refuse_usage_event_key_change"()`,
    );
    await queryRunner.query(
      `CREATE TRIGGER "usage_event_keys_no_truncate" BEFORE TRUNCATE ON "billing"."usage_event_keys" FOR EACH STATEMENT EXECUTE FUNCTION "billing"."refuse_usage_event_key_change"()`,
    );
    await queryRunner.query(`
      CREATE FUNCTION "billing"."claim_usage_event_key"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO billing.usage_event_keys (customer_id, idempotency_key, occurred_at, id)
        VALUES (NEW.customer_id, NEW.idempotency_key, NEW.occurred_at, NEW.id)
        ON CONFLICT (customer_id, idempotency_key) DO NOTHING;
        IF FOUND THEN
          RETURN NEW;
        END IF;
        -- Claimed already. The same event written back (restore, move out of DEFAULT) goes on to the
        -- unique index; anything else with this key is a duplicate and is skipped.
        IF EXISTS (SELECT 1 FROM billing.usage_event_keys k
                    WHERE k.customer_id = NEW.customer_id AND k.idempotency_key = NEW.idempotency_key
                      AND k.id = NEW.id AND k.occurred_at = NEW.occurred_at) THEN
          RETURN NEW;
        END IF;
        RETURN NULL;
      END $$`);
    await queryRunner.query(
      `CREATE TRIGGER "usage_events_claim_key" BEFORE INSERT ON "billing"."usage_events" FOR EACH ROW EXECUTE FUNCTION "billing"."claim_usage_event_key"()`,
    );
    await queryRunner.query(
      `CREATE TRIGGER "usage_events_append_only" BEFORE UPDATE OR DELETE ON "billing"."usage_events" FOR EACH ROW EXECUTE FUNCTION "billing"."refuse_usage_event_change"()`,
    );
    // Statement triggers are not cloned to partitions: each partition gets its own (below).
    await queryRunner.query(
      `CREATE TRIGGER "usage_events_no_truncate" BEFORE TRUNCATE ON "billing"."usage_events" FOR EACH STATEMENT EXECUTE FUNCTION "billing"."refuse_usage_event_change"()`,
    );
    await queryRunner.query(
      `CREATE TABLE "billing_usage"."usage_events_default" PARTITION OF "billing"."usage_events" DEFAULT`,
    );
    await queryRunner.query(
      `CREATE TRIGGER "usage_events_no_truncate" BEFORE TRUNCATE ON "billing_usage"."usage_events_default" FOR EACH STATEMENT EXECUTE FUNCTION "billing"."refuse_usage_event_change"()`,
    );
    await queryRunner.query(`
      CREATE FUNCTION "billing"."create_usage_event_partitions"(p_from timestamptz, p_through timestamptz)
      RETURNS integer LANGUAGE plpgsql SECURITY DEFINER
      SET search_path = pg_catalog, pg_temp SET lock_timeout = '10s' AS $$
      DECLARE
        month_start timestamptz;
        month_end timestamptz;
        part text;
        created integer := 0;
        in_default boolean;
      BEGIN
        -- Two workers creating the same month wait for each other instead of failing.
        PERFORM pg_advisory_xact_lock(hashtext('billing.usage_events partitions'));
        -- From the earlier of p_from and the oldest event waiting in DEFAULT, so every stray moves.
        SELECT date_trunc('month', least(p_from, min(occurred_at)) AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
          INTO month_start FROM billing_usage.usage_events_default;
        WHILE month_start <= p_through LOOP
          month_end := ((month_start AT TIME ZONE 'UTC') + interval '1 month') AT TIME ZONE 'UTC';
          part := format('usage_events_y%sm%s', to_char(month_start AT TIME ZONE 'UTC', 'YYYY'),
                         to_char(month_start AT TIME ZONE 'UTC', 'MM'));
          IF to_regclass(format('billing_usage.%I', part)) IS NULL
             AND to_regclass(format('billing_archive.%I', part)) IS NULL THEN
            SELECT EXISTS (SELECT 1 FROM billing_usage.usage_events_default
                            WHERE occurred_at >= month_start AND occurred_at < month_end) INTO in_default;
            IF in_default THEN
              -- Events of this month landed in DEFAULT before its partition existed: move them in one
              -- transaction (the detached DEFAULT loses the cloned append-only triggers meanwhile).
              ALTER TABLE billing.usage_events DETACH PARTITION billing_usage.usage_events_default;
              EXECUTE format('CREATE TABLE billing_usage.%I PARTITION OF billing.usage_events FOR VALUES FROM (%L) TO (%L)',
                             part, month_start, month_end);
              EXECUTE format('INSERT INTO billing_usage.%I SELECT * FROM billing_usage.usage_events_default
                               WHERE occurred_at >= %L AND occurred_at < %L', part, month_start, month_end);
              DELETE FROM billing_usage.usage_events_default WHERE occurred_at >= month_start AND occurred_at < month_end;
              ALTER TABLE billing.usage_events ATTACH PARTITION billing_usage.usage_events_default DEFAULT;
            ELSE
              EXECUTE format('CREATE TABLE billing_usage.%I PARTITION OF billing.usage_events FOR VALUES FROM (%L) TO (%L)',
                             part, month_start, month_end);
            END IF;
            EXECUTE format('CREATE TRIGGER usage_events_no_truncate BEFORE TRUNCATE ON billing_usage.%I
                            FOR EACH STATEMENT EXECUTE FUNCTION billing.refuse_usage_event_change()', part);
            created := created + 1;
          END IF;
          month_start := month_end;
        END LOOP;
        RETURN created;
      END $$`);
    await queryRunner.query(`
      CREATE FUNCTION "billing"."detach_usage_event_month"(p_month timestamptz)
      RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER
      SET search_path = pg_catalog, pg_temp SET lock_timeout = '10s' AS $$
      DECLARE
        month_start timestamptz := date_trunc('month', p_month AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
        part text := format('usage_events_y%sm%s', to_char(p_month AT TIME ZONE 'UTC', 'YYYY'),
                            to_char(p_month AT TIME ZONE 'UTC', 'MM'));
        n_rows bigint;
      BEGIN
        IF month_start >= date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' THEN
          RAISE EXCEPTION 'usage month % is not over: only a closed month is detached', to_char(month_start AT TIME ZONE 'UTC', 'YYYY-MM');
        END IF;
        IF to_regclass(format('billing_usage.%I', part)) IS NULL THEN
          RAISE EXCEPTION 'usage month % has no attached partition (billing_usage.%)', to_char(month_start AT TIME ZONE 'UTC', 'YYYY-MM'), part;
        END IF;
        EXECUTE format('SELECT count(*) FROM billing_usage.%I', part) INTO n_rows;
        EXECUTE format('ALTER TABLE billing.usage_events DETACH PARTITION billing_usage.%I', part);
        EXECUTE format('ALTER TABLE billing_usage.%I SET SCHEMA billing_archive', part);
        -- Detaching removed the cloned row triggers; the archive stays append-only (its TRUNCATE trigger moved with it).
        EXECUTE format('CREATE TRIGGER usage_events_append_only BEFORE UPDATE OR DELETE ON billing_archive.%I
                        FOR EACH ROW EXECUTE FUNCTION billing.refuse_usage_event_change()', part);
        RETURN n_rows;
      END $$`);
    // Every month that has events, through three months ahead, then the rows themselves.
    await queryRunner.query(
      `SELECT billing.create_usage_event_partitions(
         coalesce((SELECT min(occurred_at) FROM billing.usage_events_unpartitioned), now()),
         now() + interval '3 months')`,
    );
    await queryRunner.query(
      `INSERT INTO "billing"."usage_events" SELECT "customer_id", "idempotency_key", "id", "feature_id", "quantity", "occurred_at", "service_id", "properties", "correction_of", "reported_by", "received_at" FROM "billing"."usage_events_unpartitioned"`,
    );
    await queryRunner.query(`DROP TABLE "billing"."usage_events_unpartitioned"`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "billing"."usage_events_unpartitioned" ("customer_id" text NOT NULL, "idempotency_key" text NOT NULL, "id" text NOT NULL, "feature_id" text NOT NULL, "quantity" bigint NOT NULL, "occurred_at" TIMESTAMP WITH TIME ZONE NOT NULL, "service_id" text, "properties" jsonb, "correction_of" text, "reported_by" text NOT NULL, "received_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_3c485ccb849d3eac32975f5dd33" PRIMARY KEY ("customer_id", "idempotency_key"))`,
    );
    await queryRunner.query(
      `INSERT INTO "billing"."usage_events_unpartitioned" SELECT * FROM "billing"."usage_events"`,
    );
    await queryRunner.query(`DROP TABLE "billing"."usage_events" CASCADE`);
    await queryRunner.query(`DROP FUNCTION "billing"."detach_usage_event_month"(timestamptz)`);
    await queryRunner.query(
      `DROP FUNCTION "billing"."create_usage_event_partitions"(timestamptz, timestamptz)`,
    );
    await queryRunner.query(`DROP FUNCTION "billing"."claim_usage_event_key"()`);
    await queryRunner.query(`DROP TABLE "billing"."usage_event_keys"`);
    await queryRunner.query(`DROP FUNCTION "billing"."refuse_usage_event_key_change"()`);
    await queryRunner.query(`ALTER TABLE "billing"."usage_events_unpartitioned" RENAME TO "usage_events"`);
    await queryRunner.query(
      `CREATE INDEX "ix_usage_events_corrections" ON "billing"."usage_events" ("customer_id", "correction_of") WHERE "correction_of" IS NOT NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_usage_events_customer_feature_time" ON "billing"."usage_events" ("customer_id", "feature_id", "occurred_at")`,
    );
    await queryRunner.query(
      `CREATE TRIGGER "usage_events_append_only" BEFORE UPDATE OR DELETE ON "billing"."usage_events" FOR EACH ROW EXECUTE FUNCTION "billing"."refuse_usage_event_change"()`,
    );
    await queryRunner.query(
      `CREATE TRIGGER "usage_events_no_truncate" BEFORE TRUNCATE ON "billing"."usage_events" FOR EACH STATEMENT EXECUTE FUNCTION "billing"."refuse_usage_event_change"()`,
    );
  }
}
