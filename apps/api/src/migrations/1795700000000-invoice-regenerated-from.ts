import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A regenerated invoice names the voided invoice it replaces (issue #24, as Lago links a regenerated
 * invoice to its voided one). Unique: a voided invoice is replaced at most once.
 */
export class InvoiceRegeneratedFrom1795700000000 implements MigrationInterface {
  name = 'InvoiceRegeneratedFrom1795700000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "billing"."invoices" ADD "regenerated_from_invoice_id" text`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_invoices_regenerated_from" ON "billing"."invoices" ("regenerated_from_invoice_id")`,
    );
    // Replacements issued before the column (by the CLI) carry the voided invoice in their key.
    await queryRunner.query(
      `UPDATE "billing"."invoices" SET "regenerated_from_invoice_id" = substr("idempotency_key", length('regenerated:') + 1)
        WHERE "idempotency_key" LIKE 'regenerated:%'`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "billing"."uq_invoices_regenerated_from"`);
    await queryRunner.query(`ALTER TABLE "billing"."invoices" DROP COLUMN "regenerated_from_invoice_id"`);
  }
}
