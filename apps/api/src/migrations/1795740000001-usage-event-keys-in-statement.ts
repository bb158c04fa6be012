import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Usage events' idempotency keys are claimed by the ingest statement itself (a data-modifying CTE
 * inserts into `billing.usage_event_keys` … ON CONFLICT DO NOTHING and only the claimed rows go on
 * into `billing.usage_events`), no longer by a row trigger on every partition: the plpgsql trigger
 * took the insert to 0.58–0.62 of the unpartitioned table's rate, the set-based claim to 0.67–0.86
 * (tools/bench/usage-partitions, docs/performance.md). The keys
 * table, its primary key and exactly-once per (customer, key) are unchanged; writers of usage events
 * claim the key first (ingest; a customer restore restores the keys before the events).
 */
export class UsageEventKeysInStatement1795740000001 implements MigrationInterface {
  name = 'UsageEventKeysInStatement1795740000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER "usage_events_claim_key" ON "billing"."usage_events"`);
    await queryRunner.query(`DROP FUNCTION "billing"."claim_usage_event_key"()`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE FUNCTION "billing"."claim_usage_event_key"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO billing.usage_event_keys (customer_id, idempotency_key, occurred_at, id)
        VALUES (NEW.customer_id, NEW.idempotency_key, NEW.occurred_at, NEW.id)
        ON CONFLICT (customer_id, idempotency_key) DO NOTHING;
        IF FOUND THEN
          RETURN NEW;
        END IF;
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
  }
}
