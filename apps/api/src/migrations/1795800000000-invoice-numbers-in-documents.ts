import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `billing.fill_invoice_number(document, invoice_id)`: the document (an event envelope or an audit
 * row, as JSON text) with the invoice's number in place of the placeholder
 * (INVOICE_NUMBER_PLACEHOLDER in invoice-numbers-in-documents.ts). The invoice writer takes an
 * invoice's number in the statement that writes its row, and writes the events and audit rows that
 * carry the number in the next statement of the same write, so the invoice series lock is held for
 * Postgres's work and the commit only (issue #25). A document with the placeholder whose invoice does
 * not exist raises: no event or audit row can be stored with a placeholder.
 */
export class InvoiceNumbersInDocuments1795800000000 implements MigrationInterface {
  name = 'InvoiceNumbersInDocuments1795800000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE FUNCTION "billing"."fill_invoice_number"(document text, invoice_id text) RETURNS text
      LANGUAGE plpgsql STABLE AS $$
      DECLARE
        invoice_number text;
      BEGIN
        IF document IS NULL OR strpos(document, '"\\u0000invoice-number"') = 0 THEN
          RETURN document;
        END IF;
        SELECT number INTO invoice_number FROM billing.invoices WHERE id = invoice_id;
        IF invoice_number IS NULL THEN
          RAISE EXCEPTION 'no invoice % to take its number from', invoice_id;
        END IF;
        RETURN replace(document, '"\\u0000invoice-number"', to_json(invoice_number)::text);
      END $$`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP FUNCTION "billing"."fill_invoice_number"(text, text)`);
  }
}
