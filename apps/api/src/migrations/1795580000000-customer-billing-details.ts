import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Billing details a customer gives for their documents (issue #23): the name and postal address
 * invoices and credit notes are addressed to, instead of an internal user id.
 */
export class CustomerBillingDetails1795580000000 implements MigrationInterface {
  name = 'CustomerBillingDetails1795580000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "billing"."customers" ADD "billing_name" text`);
    await queryRunner.query(`ALTER TABLE "billing"."customers" ADD "billing_address" text`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "billing"."customers" DROP COLUMN "billing_address"`);
    await queryRunner.query(`ALTER TABLE "billing"."customers" DROP COLUMN "billing_name"`);
  }
}
