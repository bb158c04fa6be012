import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Customer rows announced on commit (issue #25): a change of what an entitlement check reads about a
 * customer (their subscriptions' standing, plan and period, their staff grants and overrides, their
 * hold and the reference they are checked by, and their usage events) notifies `astrix_customer_rows`
 * with the customer's id (usage: the ids of a statement's customers, comma-separated, one notice per
 * statement and per 100 customers), delivered only when the change commits, whoever made it (API,
 * workers, CLI, plain SQL). Processes that answer checks hold customers' rows and usage totals in
 * memory and drop a customer's on the notification; see CustomerSnapshots and CommitListener.sync()
 * for why no committed change is missed.
 */
export class CustomerRowsNotify1795760000000 implements MigrationInterface {
  name = 'CustomerRowsNotify1795760000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // One function per shape of row: customer_id on subscriptions and grants, id on customers.
    for (const [name, column] of [
      ['notify_customer_rows', 'customer_id'],
      ['notify_customer_row', 'id'],
    ]) {
      await queryRunner.query(
        `CREATE FUNCTION billing.${name}() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN
           IF TG_OP <> 'INSERT' THEN
             PERFORM pg_notify('astrix_customer_rows', OLD.${column});
           END IF;
           IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.${column} IS DISTINCT FROM OLD.${column}) THEN
             PERFORM pg_notify('astrix_customer_rows', NEW.${column});
           END IF;
           RETURN NULL;
         END $$`,
      );
    }
    await queryRunner.query(
      `CREATE TRIGGER notify_customer_rows AFTER INSERT OR DELETE ON billing.subscriptions
       FOR EACH ROW EXECUTE FUNCTION billing.notify_customer_rows()`,
    );
    // Only what a check reads: the billing run's other writes to a subscription announce nothing.
    await queryRunner.query(
      `CREATE TRIGGER notify_customer_rows_update AFTER UPDATE ON billing.subscriptions
       FOR EACH ROW WHEN (
         OLD.customer_id IS DISTINCT FROM NEW.customer_id OR OLD.status IS DISTINCT FROM NEW.status
         OR OLD.product_id IS DISTINCT FROM NEW.product_id OR OLD.currency IS DISTINCT FROM NEW.currency
         OR OLD.current_period_start IS DISTINCT FROM NEW.current_period_start
         OR OLD.current_period_end IS DISTINCT FROM NEW.current_period_end
         OR OLD.trial_overage IS DISTINCT FROM NEW.trial_overage OR OLD.created_at IS DISTINCT FROM NEW.created_at)
       EXECUTE FUNCTION billing.notify_customer_rows()`,
    );
    await queryRunner.query(
      `CREATE TRIGGER notify_customer_rows AFTER INSERT OR UPDATE OR DELETE ON billing.customer_entitlements
       FOR EACH ROW EXECUTE FUNCTION billing.notify_customer_rows()`,
    );
    await queryRunner.query(
      `CREATE TRIGGER notify_customer_rows AFTER DELETE ON billing.customers
       FOR EACH ROW EXECUTE FUNCTION billing.notify_customer_row()`,
    );
    await queryRunner.query(
      `CREATE TRIGGER notify_customer_rows_update AFTER UPDATE ON billing.customers
       FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id OR OLD.user_id IS DISTINCT FROM NEW.user_id
                          OR OLD.fraud_status IS DISTINCT FROM NEW.fraud_status)
       EXECUTE FUNCTION billing.notify_customer_row()`,
    );
    // Usage: one notice per statement (ingest writes a batch in one), from its transition table.
    await queryRunner.query(
      `CREATE FUNCTION billing.notify_usage_customers() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         PERFORM pg_notify('astrix_customer_rows', string_agg(customer_id, ','))
            FROM (SELECT customer_id, (row_number() OVER ()) / 100 AS chunk
                    FROM (SELECT DISTINCT customer_id FROM changed_usage) d) numbered
           GROUP BY chunk;
         RETURN NULL;
       END $$`,
    );
    for (const [operation, transition] of [
      ['INSERT', 'NEW'],
      ['UPDATE', 'NEW'],
      ['DELETE', 'OLD'],
    ]) {
      await queryRunner.query(
        `CREATE TRIGGER notify_customer_rows_${operation.toLowerCase()} AFTER ${operation} ON billing.usage_events
         REFERENCING ${transition} TABLE AS changed_usage
         FOR EACH STATEMENT EXECUTE FUNCTION billing.notify_usage_customers()`,
      );
    }
    // Emptied outright (tests, restores): an empty payload, every customer's copy is dropped.
    for (const table of ['subscriptions', 'customer_entitlements', 'customers', 'usage_events']) {
      await queryRunner.query(
        `CREATE TRIGGER notify_customer_rows_truncate AFTER TRUNCATE ON billing.${table}
         FOR EACH STATEMENT EXECUTE FUNCTION platform.notify_commit('astrix_customer_rows')`,
      );
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['subscriptions', 'customer_entitlements', 'customers', 'usage_events']) {
      await queryRunner.query(`DROP TRIGGER notify_customer_rows_truncate ON billing.${table}`);
    }
    for (const operation of ['insert', 'update', 'delete']) {
      await queryRunner.query(`DROP TRIGGER notify_customer_rows_${operation} ON billing.usage_events`);
    }
    await queryRunner.query(`DROP FUNCTION billing.notify_usage_customers()`);
    await queryRunner.query(`DROP TRIGGER notify_customer_rows_update ON billing.customers`);
    await queryRunner.query(`DROP TRIGGER notify_customer_rows ON billing.customers`);
    await queryRunner.query(`DROP TRIGGER notify_customer_rows ON billing.customer_entitlements`);
    await queryRunner.query(`DROP TRIGGER notify_customer_rows_update ON billing.subscriptions`);
    await queryRunner.query(`DROP TRIGGER notify_customer_rows ON billing.subscriptions`);
    await queryRunner.query(`DROP FUNCTION billing.notify_customer_row()`);
    await queryRunner.query(`DROP FUNCTION billing.notify_customer_rows()`);
  }
}
