import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Fewer index entries per invoice (issue #25: the billing run inserts thousands of invoices a second,
 * and numbering rewrites each row once, touching every index again):
 * - `ix_invoice_lines_invoice` repeated the lines' primary key (invoice_id, position) column for column;
 * - the unique indexes on `charge_id` and `regenerated_from_invoice_id` held an entry for every invoice,
 *   though nearly all are NULL there (an invoice is paid by its charge later, if ever by card, and
 *   regenerated rarely). Partial, they hold only the rows that have one: the same uniqueness (NULLs never
 *   conflicted), and the lookups by charge or by regenerated invoice name a value, so they still use them.
 */
export class InvoiceIndexesTrimmed1795790000000 implements MigrationInterface {
  name = 'InvoiceIndexesTrimmed1795790000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "billing"."ix_invoice_lines_invoice"`);
    await queryRunner.query(`DROP INDEX "billing"."uq_invoices_charge_id"`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_invoices_charge_id" ON "billing"."invoices" ("charge_id") WHERE "charge_id" IS NOT NULL`,
    );
    await queryRunner.query(`DROP INDEX "billing"."uq_invoices_regenerated_from"`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_invoices_regenerated_from" ON "billing"."invoices" ("regenerated_from_invoice_id") WHERE "regenerated_from_invoice_id" IS NOT NULL`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "billing"."uq_invoices_regenerated_from"`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_invoices_regenerated_from" ON "billing"."invoices" ("regenerated_from_invoice_id")`,
    );
    await queryRunner.query(`DROP INDEX "billing"."uq_invoices_charge_id"`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_invoices_charge_id" ON "billing"."invoices" ("charge_id")`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_invoice_lines_invoice" ON "billing"."invoice_lines" ("invoice_id", "position")`,
    );
  }
}
