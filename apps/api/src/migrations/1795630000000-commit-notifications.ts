import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Wake on commit (issue #25): a statement-level AFTER INSERT trigger on the outbox, the event
 * history and the webhook deliveries calls pg_notify in the inserting transaction. Postgres delivers
 * a notification only when that transaction commits (and folds repeats of the same channel within
 * it into one), so the relays listening on the channel wake for committed rows only.
 */
export class CommitNotifications1795630000000 implements MigrationInterface {
  name = 'CommitNotifications1795630000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE FUNCTION platform.notify_commit() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         PERFORM pg_notify(TG_ARGV[0], '');
         RETURN NULL;
       END $$`,
    );
    for (const [table, channel] of [
      ['outbox_events', 'astrix_outbox'],
      ['event_history', 'astrix_outbound'],
      ['webhook_deliveries', 'astrix_outbound'],
    ]) {
      await queryRunner.query(
        `CREATE TRIGGER notify_commit AFTER INSERT ON platform.${table}
         FOR EACH STATEMENT EXECUTE FUNCTION platform.notify_commit('${channel}')`,
      );
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['webhook_deliveries', 'event_history', 'outbox_events'])
      await queryRunner.query(`DROP TRIGGER notify_commit ON platform.${table}`);
    await queryRunner.query(`DROP FUNCTION platform.notify_commit()`);
  }
}
