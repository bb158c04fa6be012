import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The sandbox clock (issue #22): how far the sandbox's "now" is ahead of the real clock, in one row
 * every process of a deployment reads (APIs, workers, CLI). Only moved forward, and only used when
 * SANDBOX_CLOCK=true in the sandbox; production never reads it.
 */
export class SandboxClock1795750000000 implements MigrationInterface {
  name = 'SandboxClock1795750000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE platform.sandbox_clock (
         id boolean PRIMARY KEY DEFAULT true CHECK (id),
         offset_ms bigint NOT NULL DEFAULT 0 CHECK (offset_ms >= 0),
         updated_at timestamptz NOT NULL DEFAULT now()
       )`,
    );
    await queryRunner.query(`INSERT INTO platform.sandbox_clock (id) VALUES (true)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE platform.sandbox_clock`);
  }
}
