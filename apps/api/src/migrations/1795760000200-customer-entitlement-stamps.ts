import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Customer entitlement stamps (issue #25): a check serves a customer's subscriptions, staff grants and
 * hold from memory only while the customer's stamp, read in the check's own statement, is the one the
 * copy was loaded with. Every committed change of those rows gives the customer a new stamp: triggers
 * on the three tables, whoever writes (API, worker, CLI, plain SQL), in the writing transaction, so the
 * stamp and the rows become visible together. Stamps come from a sequence (never reused), and each
 * statement takes its customers' stamp rows in customer order (no deadlock between two statements).
 * Every customer has one from their insert on (existing ones from this migration), and a TRUNCATE of
 * any of the three tables, which has no rows to name, gives every customer a new one.
 */
export class CustomerEntitlementStamps1795760000200 implements MigrationInterface {
  name = 'CustomerEntitlementStamps1795760000200';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE SEQUENCE billing.customer_entitlement_stamp_seq`);
    await queryRunner.query(
      `CREATE TABLE billing.customer_entitlement_stamps (
         customer_id text PRIMARY KEY,
         stamp bigint NOT NULL
       )`,
    );
    // One function per key column; each statement stamps the customers of the rows it changed.
    for (const [name, column] of [
      ['stamp_customers', 'customer_id'],
      ['stamp_customer_rows', 'id'],
    ]) {
      const stamp = (rows: string): string =>
        `INSERT INTO billing.customer_entitlement_stamps (customer_id, stamp)
         SELECT customer_id, nextval('billing.customer_entitlement_stamp_seq')
           FROM (SELECT DISTINCT ${column} AS customer_id FROM ${rows}) changed
          WHERE customer_id IS NOT NULL
          ORDER BY customer_id
         ON CONFLICT (customer_id) DO UPDATE SET stamp = excluded.stamp;`;
      await queryRunner.query(
        `CREATE FUNCTION billing.${name}() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN
           IF TG_OP = 'INSERT' THEN
             ${stamp('new_rows')}
           ELSIF TG_OP = 'DELETE' THEN
             ${stamp('old_rows')}
           ELSE
             ${stamp('(SELECT ' + column + ' FROM new_rows UNION SELECT ' + column + ' FROM old_rows) both_sides')}
           END IF;
           RETURN NULL;
         END $$`,
      );
    }
    // A statement-level trigger may name only the transition tables its event has: one per event.
    for (const [table, fn, events] of [
      ['subscriptions', 'stamp_customers', ['INSERT', 'UPDATE', 'DELETE']],
      ['customer_entitlements', 'stamp_customers', ['INSERT', 'UPDATE', 'DELETE']],
      ['customers', 'stamp_customer_rows', ['INSERT', 'UPDATE', 'DELETE']],
    ] as const) {
      for (const event of events) {
        const transition =
          event === 'INSERT'
            ? 'NEW TABLE AS new_rows'
            : event === 'DELETE'
              ? 'OLD TABLE AS old_rows'
              : 'OLD TABLE AS old_rows NEW TABLE AS new_rows';
        await queryRunner.query(
          `CREATE TRIGGER stamp_entitlement_customers_${event.toLowerCase()} AFTER ${event} ON billing.${table}
           REFERENCING ${transition} FOR EACH STATEMENT EXECUTE FUNCTION billing.${fn}()`,
        );
      }
    }
    await queryRunner.query(
      `CREATE FUNCTION billing.stamp_every_customer() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         UPDATE billing.customer_entitlement_stamps
            SET stamp = nextval('billing.customer_entitlement_stamp_seq');
         RETURN NULL;
       END $$`,
    );
    for (const table of ['subscriptions', 'customer_entitlements', 'customers']) {
      await queryRunner.query(
        `CREATE TRIGGER stamp_entitlement_customers_truncate AFTER TRUNCATE ON billing.${table}
         FOR EACH STATEMENT EXECUTE FUNCTION billing.stamp_every_customer()`,
      );
    }
    await queryRunner.query(
      `INSERT INTO billing.customer_entitlement_stamps (customer_id, stamp)
       SELECT id, nextval('billing.customer_entitlement_stamp_seq') FROM billing.customers ORDER BY id`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['subscriptions', 'customer_entitlements', 'customers']) {
      for (const event of ['insert', 'update', 'delete', 'truncate']) {
        await queryRunner.query(
          `DROP TRIGGER IF EXISTS stamp_entitlement_customers_${event} ON billing.${table}`,
        );
      }
    }
    await queryRunner.query(`DROP FUNCTION billing.stamp_customers()`);
    await queryRunner.query(`DROP FUNCTION billing.stamp_customer_rows()`);
    await queryRunner.query(`DROP FUNCTION billing.stamp_every_customer()`);
    await queryRunner.query(`DROP TABLE billing.customer_entitlement_stamps`);
    await queryRunner.query(`DROP SEQUENCE billing.customer_entitlement_stamp_seq`);
  }
}
