import { MigrationInterface, QueryRunner } from 'typeorm';

/** The expense an invoice written off as uncollectible is charged to (a late payment recovers it). */
export class LedgerBadDebt1795540000000 implements MigrationInterface {
  name = 'LedgerBadDebt1795540000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `INSERT INTO "billing"."ledger_accounts" ("code", "name", "type", "normal_side", "clearing", "description") VALUES ($1, $2, $3, $4, $5, $6)`,
      [
        'bad_debt',
        'Bad debt',
        'expense',
        'debit',
        false,
        'Invoices written off as uncollectible; a late payment of one recovers it.',
      ],
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DELETE FROM "billing"."ledger_accounts" WHERE "code" = 'bad_debt'`);
  }
}
