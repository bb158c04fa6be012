import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Admin search: the audit log by action and by a resource id without its type; customers by the
 * beginning of their email, case-insensitively.
 */
export class AdminSearchIndexes1795280400000 implements MigrationInterface {
  name = 'AdminSearchIndexes1795280400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE INDEX "ix_audit_log_action" ON "platform"."audit_log" ("action", "occurred_at")`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_audit_log_resource_id" ON "platform"."audit_log" ("resource_id", "occurred_at")`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_customers_email_prefix" ON "billing"."customers" (lower("email") text_pattern_ops)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "billing"."ix_customers_email_prefix"`);
    await queryRunner.query(`DROP INDEX "platform"."ix_audit_log_resource_id"`);
    await queryRunner.query(`DROP INDEX "platform"."ix_audit_log_action"`);
  }
}
