import type Redis from 'ioredis';
import { EventStreamService } from '../../src/modules/notifications/event-stream.service';
import { streamChannel } from '../../src/modules/notifications/event-stream';
import { OutboxService } from '../../src/platform/events/outbox.service';
import { openStream } from '../support/sse';
import { eventually, startTestApp, TestApp } from '../support/test-app';

/**
 * Redis pub/sub is at most once: a replica whose subscription missed a message (a reconnect, a
 * dropped connection) must not leave a gap in a connected client's stream. The history in Postgres
 * is the source of truth; a live message only says "there is more".
 */
describe('live event stream without gaps when pub/sub drops a message', () => {
  let producer: TestApp;
  let replica: TestApp;
  let replicaUrl: string;

  beforeAll(async () => {
    producer = await startTestApp({ workers: true });
    replica = await startTestApp({
      database: producer.database,
      env: { QUEUE_PREFIX: producer.queuePrefix },
    });
    await replica.app.listen(0, '127.0.0.1');
    replicaUrl = await replica.app.getUrl();
  });
  afterAll(async () => {
    await replica.close();
    await producer.close();
  });

  let counter = 0;
  const emit = (userId: string) =>
    producer.dataSource.transaction((manager) =>
      producer.app.get(OutboxService).append(manager, {
        type: 'billing.payment.failed',
        subject: 'chk_gaps',
        data: {
          paidFor: 'purchase',
          checkoutSessionId: 'chk_gaps',
          invoiceId: null,
          subscriptionId: null,
          attempt: null,
          userId,
          customerId: 'cus_gaps',
          productId: 'prd_x',
          amount: 100,
          currency: 'USD',
          reason: `attempt ${(counter += 1)}`,
          declineCode: null,
        },
      }),
    );
  const streamed = (eventId: string) =>
    eventually(async () => {
      const rows = await producer.dataSource.query(
        'SELECT 1 FROM platform.event_history WHERE event_id = $1 AND stream_position IS NOT NULL',
        [eventId],
      );
      return rows.length === 1;
    });

  it('a message the replica never received still reaches the client, in order, once', async () => {
    const stream = await openStream(`${replicaUrl}/v1/billing/stream`, replica.as({ sub: 'user_gaps' }));
    expect(stream.response.statusCode).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const e1 = await emit('user_gaps');
    await eventually(async () => stream.events.length >= 1);

    // The replica's subscription is away while e2 is published: pub/sub drops it for this replica.
    const subscriber = Reflect.get(replica.app.get(EventStreamService), 'subscriberClient') as Redis;
    const channel = streamChannel(producer.queuePrefix);
    await subscriber.unsubscribe(channel);
    const e2 = await emit('user_gaps');
    await streamed(e2.id);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await subscriber.subscribe(channel);

    const e3 = await emit('user_gaps');
    await eventually(async () => stream.events.some((event) => event.id === e3.id), 15_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(stream.events.map((event) => event.id)).toEqual([e1.id, e2.id, e3.id]);
    expect(stream.events.map((event) => event.data.sequence)).toEqual([1, 2, 3]);
    stream.close();
  });

  it('a new stream without Last-Event-ID starts from now (no replay of the history)', async () => {
    await emit('user_fresh');
    const old = await emit('user_fresh');
    await streamed(old.id);
    const stream = await openStream(`${replicaUrl}/v1/billing/stream`, replica.as({ sub: 'user_fresh' }));
    await new Promise((resolve) => setTimeout(resolve, 200));
    const live = await emit('user_fresh');
    await eventually(async () => stream.events.length >= 1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(stream.events.map((event) => event.id)).toEqual([live.id]);
    stream.close();
  });
});
