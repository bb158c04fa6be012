import { MigrationInterface, QueryRunner } from 'typeorm';

/** Credit notes (issue #20): their lines (a share of each invoice line, with its tax) and their tax. */
export class CreditNoteLines1795620000002 implements MigrationInterface {
  name = 'CreditNoteLines1795620000002';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "billing"."credit_note_lines" ("credit_note_id" text NOT NULL, "position" integer NOT NULL, "invoice_line_position" integer NOT NULL, "description" text NOT NULL, "amount" bigint NOT NULL, "tax" bigint NOT NULL, "tax_rate_id" text, "tax_percentage" text, "tax_inclusive" boolean NOT NULL DEFAULT false, CONSTRAINT "PK_credit_note_lines" PRIMARY KEY ("credit_note_id", "position"))`,
    );
    await queryRunner.query(`ALTER TABLE "billing"."credit_notes" ADD "tax" bigint NOT NULL DEFAULT '0'`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "billing"."credit_notes" DROP COLUMN "tax"`);
    await queryRunner.query(`DROP TABLE "billing"."credit_note_lines"`);
  }
}
