import { MigrationInterface, QueryRunner } from 'typeorm';

/** Per-subject sequence numbers count a subject's outbox events in order: index them that way. */
export class OutboxSubjectIndex1795266000000 implements MigrationInterface {
  name = 'OutboxSubjectIndex1795266000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE INDEX "ix_outbox_events_subject_position" ON "platform"."outbox_events" ("subject", "position")`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "platform"."ix_outbox_events_subject_position"`);
  }
}
