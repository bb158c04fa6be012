import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * W3C trace context kept with asynchronous work (docs/observability.md): the outbox row (the relay
 * and the consumers continue the trace of whoever wrote the event) and the checkout session (the
 * payment, recorded later from Stripe's event, continues the checkout's trace). Null when tracing
 * was off.
 */
export class TraceContext1795590000000 implements MigrationInterface {
  name = 'TraceContext1795590000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "platform"."outbox_events" ADD "traceparent" text`);
    await queryRunner.query(`ALTER TABLE "billing"."checkout_sessions" ADD "traceparent" text`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "billing"."checkout_sessions" DROP COLUMN "traceparent"`);
    await queryRunner.query(`ALTER TABLE "platform"."outbox_events" DROP COLUMN "traceparent"`);
  }
}
