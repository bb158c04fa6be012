import { MigrationInterface, QueryRunner } from 'typeorm';

const TABLES = ['invoices', 'invoice_lines'] as const;

/**
 * Invoices and their lines are kept (seven years, seed 002): the database refuses to delete them,
 * for every role. (Status changes — void, uncollectible — are updates and stay allowed.) The app
 * role also has no DELETE on the other financial tables (RETAINED_TABLES, app-role.ts).
 */
export class RetainFinancialRecords1795600000000 implements MigrationInterface {
  name = 'RetainFinancialRecords1795600000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE FUNCTION "billing"."refuse_financial_record_delete"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION '%.% is a retained financial record: % is not allowed', TG_TABLE_SCHEMA, TG_TABLE_NAME, TG_OP
          USING ERRCODE = 'insufficient_privilege';
      END $$`);
    for (const table of TABLES) {
      await queryRunner.query(
        `CREATE TRIGGER "${table}_retained" BEFORE DELETE ON "billing"."${table}" FOR EACH ROW EXECUTE FUNCTION "billing"."refuse_financial_record_delete"()`,
      );
      await queryRunner.query(
        `CREATE TRIGGER "${table}_no_truncate" BEFORE TRUNCATE ON "billing"."${table}" FOR EACH STATEMENT EXECUTE FUNCTION "billing"."refuse_financial_record_delete"()`,
      );
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of TABLES) {
      await queryRunner.query(`DROP TRIGGER "${table}_no_truncate" ON "billing"."${table}"`);
      await queryRunner.query(`DROP TRIGGER "${table}_retained" ON "billing"."${table}"`);
    }
    await queryRunner.query(`DROP FUNCTION "billing"."refuse_financial_record_delete"()`);
  }
}
