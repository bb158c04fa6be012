import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The customers of changed usage, 100 to a notice: what a notice of updated or deleted events says. */
const CUSTOMERS_NOTIFIED = `
  PERFORM pg_notify('astrix_customer_rows', string_agg(customer_id, ','))
     FROM (SELECT customer_id, (row_number() OVER ()) / 100 AS chunk
             FROM (SELECT DISTINCT customer_id FROM changed_usage) d) numbered
    GROUP BY chunk;`;

/**
 * Usage counted at ingest (issue #25: a check reads one row or none). An insert of usage events now
 * announces what it added, per customer and feature, instead of only who changed: the committing
 * transaction's id, then for each (customer, feature) the first and last event time (epoch
 * milliseconds, rounded outward), the sum of quantities, the events and the corrections among them.
 * A process holding a period's total adds those amounts when all the events fall in the period and
 * its read did not already see the transaction; otherwise it drops the total, as before (see
 * CustomerSnapshots). Notices stay under Postgres's 8,000-byte payload limit: at most ~7,000 bytes of
 * groups each (customer and feature ids are short: ours, and feature slugs of at most 64 characters).
 * Built for cost, as every ingest pays it: times as double epoch seconds (rounded outward, a sub-ms
 * error only drops a total), groups chunked in the order they come, counts without filters.
 */
export class UsageAmountsAnnounced1795810000000 implements MigrationInterface {
  name = 'UsageAmountsAnnounced1795810000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE OR REPLACE FUNCTION billing.notify_usage_customers() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         IF TG_OP <> 'INSERT' THEN
           ${CUSTOMERS_NOTIFIED}
           RETURN NULL;
         END IF;
         PERFORM pg_notify('astrix_customer_rows', 'usage;' || pg_current_xact_id() || ';' || string_agg(line, ';'))
            FROM (SELECT line, sum(length(line) + 1) OVER (ROWS UNBOUNDED PRECEDING) / 7000 AS chunk
                    FROM (SELECT customer_id || ',' || feature_id
                                 || ',' || floor(date_part('epoch', min(occurred_at)) * 1000)::bigint
                                 || ',' || ceil(date_part('epoch', max(occurred_at)) * 1000)::bigint
                                 || ',' || sum(quantity)
                                 || ',' || count(*)
                                 || ',' || count(correction_of) AS line
                            FROM changed_usage GROUP BY customer_id, feature_id) grouped) sized
           GROUP BY chunk;
         RETURN NULL;
       END $$`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE OR REPLACE FUNCTION billing.notify_usage_customers() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         ${CUSTOMERS_NOTIFIED}
         RETURN NULL;
       END $$`,
    );
  }
}
