import { getQueueToken } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import { Clock } from '../../src/platform/clock';
import { OutboxRedelivery } from '../../src/platform/events/outbox-redelivery.service';
import { OutboxService } from '../../src/platform/events/outbox.service';
import { createTestDatabase } from '../support/databases';
import { eventually, startTestApp, type TestApp } from '../support/test-app';

/**
 * A billing.fraud.flagged event (a consumer acts on it: accounts holds the customer) as the relay
 * leaves it after publishing: marked published five minutes ago, its job in a Redis that lost it.
 */
async function publishedAndLost(t: TestApp, who: string, reason: string): Promise<string> {
  const event = await t.dataSource.transaction((manager) =>
    t.app.get(OutboxService).append(manager, {
      type: 'billing.fraud.flagged',
      subject: `cus_${who}`,
      data: { customerId: `cus_${who}`, userId: `user_${who}`, severity: 'high', signalIds: [], reason },
    }),
  );
  await t.dataSource.query(
    `UPDATE platform.outbox_events SET published_at = now() - interval '5 minutes', publish_attempts = 1
      WHERE event_id = $1`,
    [event.id],
  );
  return event.id;
}

// Found by the chaos harness (tools/chaos): Redis restarted without its data after the outbox relay
// had published events (their rows marked published, their jobs only in Redis). The jobs were gone,
// nothing published the events again, and their consumers never ran: a paid purchase was never
// provisioned, event history had gaps. Published events no consumer has processed are published
// again once they are a minute old (the job id is the event id: a job still alive is not doubled).
// (Since issue #25 the history is written with the publishing itself; a consumer's work is what
// a lost job can still strand.)
describe('an outbox event whose job Redis lost', () => {
  it('is published again and reaches its consumers', async () => {
    const database = await createTestDatabase();
    const writer = await startTestApp({ workers: false, database });
    let eventId: string;
    try {
      // An event a consumer acts on (accounts holds the flagged customer). The history is written
      // by the relay in the transaction that marks the event published, so only the job can be lost.
      eventId = await publishedAndLost(writer, 'redelivered', 'redelivery test');
    } finally {
      await writer.close();
    }

    const worker = await startTestApp({ workers: true, database });
    try {
      const consumed = await eventually(async () => {
        const rows = (await worker.dataSource.query(
          `SELECT consumer FROM platform.inbox_entries WHERE event_id = $1`,
          [eventId],
        )) as Array<{ consumer: string }>;
        return rows.length === 1 ? rows : undefined;
      }, 20_000);
      expect(consumed).toEqual([{ consumer: 'accounts.fraud-holds' }]);
      const holds = (await worker.dataSource.query(
        `SELECT reason FROM accounts.user_holds WHERE user_id = 'user_redelivered'`,
      )) as Array<{ reason: string }>;
      expect(holds).toEqual([{ reason: 'fraud high: redelivery test' }]);
    } finally {
      await worker.close();
      await database.drop();
    }
  });

  // Found by the chaos harness moving the sandbox clock days ahead: an event enqueued again is
  // watched for an hour, measured on the business clock, so a jump dropped every watched event at
  // once and a job Redis lost again afterwards was never enqueued again (the scan had moved on).
  it('is enqueued again when its job is lost a second time after the clock jumped days ahead', async () => {
    const database = await createTestDatabase();
    // No workers: nothing consumes the job, and the test runs the redelivery rounds itself.
    const t = await startTestApp({ workers: false, database });
    try {
      const eventId = await publishedAndLost(t, 'redelivered_twice', 'redelivery after a clock jump');
      const queue = t.app.get<Queue>(getQueueToken('events'), { strict: false });
      const redelivery = t.app.get(OutboxRedelivery);

      await redelivery.redeliverOnce();
      const first = await queue.getJob(eventId);
      expect(first).toBeDefined();
      await first!.remove();
      const clock = t.app.get(Clock);
      const daysLater = new Date(Date.now() + 2 * 86_400_000);
      jest.spyOn(clock, 'now').mockImplementation(() => new Date(daysLater.getTime()));
      await redelivery.redeliverOnce();

      expect((await queue.getJob(eventId))?.id).toBe(eventId);
    } finally {
      jest.restoreAllMocks();
      await t.close();
      await database.drop();
    }
  });
});
