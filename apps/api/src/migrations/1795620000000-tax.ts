import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Tax (issue #20): the rate table (jurisdiction, rate, inclusive or exclusive, validity), the
 * customers' tax details and billing currency, and how each invoice and line was taxed.
 */
export class Tax1795620000000 implements MigrationInterface {
  name = 'Tax1795620000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "billing"."tax_rates" ("id" text NOT NULL, "country" text NOT NULL, "region" text, "name" text NOT NULL, "percentage" text NOT NULL, "inclusive" boolean NOT NULL, "valid_from" TIMESTAMP WITH TIME ZONE NOT NULL, "valid_to" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, "created_by" text NOT NULL, CONSTRAINT "PK_tax_rates" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_tax_rates_jurisdiction" ON "billing"."tax_rates" ("country", "region", "valid_from") `,
    );
    await queryRunner.query(
      `CREATE TABLE "billing"."customer_tax_profiles" ("customer_id" text NOT NULL, "country" text, "region" text, "postal_code" text, "vat_id" text, "billing_currency" text, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_customer_tax_profiles" PRIMARY KEY ("customer_id"))`,
    );
    await queryRunner.query(`ALTER TABLE "billing"."invoices" ADD "tax_treatment" text`);
    await queryRunner.query(`ALTER TABLE "billing"."invoices" ADD "tax_country" text`);
    await queryRunner.query(`ALTER TABLE "billing"."invoices" ADD "tax_region" text`);
    await queryRunner.query(`ALTER TABLE "billing"."invoices" ADD "customer_vat_id" text`);
    await queryRunner.query(`ALTER TABLE "billing"."invoice_lines" ADD "tax_rate_id" text`);
    await queryRunner.query(`ALTER TABLE "billing"."invoice_lines" ADD "tax_percentage" text`);
    await queryRunner.query(
      `ALTER TABLE "billing"."invoice_lines" ADD "tax_inclusive" boolean NOT NULL DEFAULT false`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "billing"."invoice_lines" DROP COLUMN "tax_inclusive"`);
    await queryRunner.query(`ALTER TABLE "billing"."invoice_lines" DROP COLUMN "tax_percentage"`);
    await queryRunner.query(`ALTER TABLE "billing"."invoice_lines" DROP COLUMN "tax_rate_id"`);
    await queryRunner.query(`ALTER TABLE "billing"."invoices" DROP COLUMN "customer_vat_id"`);
    await queryRunner.query(`ALTER TABLE "billing"."invoices" DROP COLUMN "tax_region"`);
    await queryRunner.query(`ALTER TABLE "billing"."invoices" DROP COLUMN "tax_country"`);
    await queryRunner.query(`ALTER TABLE "billing"."invoices" DROP COLUMN "tax_treatment"`);
    await queryRunner.query(`DROP TABLE "billing"."customer_tax_profiles"`);
    await queryRunner.query(`DROP INDEX "billing"."ix_tax_rates_jurisdiction"`);
    await queryRunner.query(`DROP TABLE "billing"."tax_rates"`);
  }
}
