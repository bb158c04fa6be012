import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * When the processor reported a refund failed after it had succeeded (the money came back to our
 * balance): such a refund is `failed` with this set, and the ledger holds its settlement and the
 * reversal of it.
 */
export class RefundReversedAt1795545000000 implements MigrationInterface {
  name = 'RefundReversedAt1795545000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "billing"."refunds" ADD "reversed_at" TIMESTAMP WITH TIME ZONE`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "billing"."refunds" DROP COLUMN "reversed_at"`);
  }
}
