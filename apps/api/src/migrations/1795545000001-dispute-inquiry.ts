import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Whether a dispute is an inquiry (Stripe's `warning_*` statuses): the issuer asks questions, Stripe
 * withdraws no funds and charges no fee, so the ledger posts nothing unless it escalates.
 */
export class DisputeInquiry1795545000001 implements MigrationInterface {
  name = 'DisputeInquiry1795545000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "billing"."disputes" ADD "inquiry" boolean NOT NULL DEFAULT false`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "billing"."disputes" DROP COLUMN "inquiry"`);
  }
}
