import { OutboxService } from '../../src/platform/events/outbox.service';
import { openStream, type SseEvent } from '../support/sse';
import { eventually, startTestApp, TestApp } from '../support/test-app';

describe('event history and live stream across two API processes', () => {
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
  const emit = (userId: string, subject = 'chk_stream') =>
    producer.dataSource.transaction((manager) =>
      producer.app.get(OutboxService).append(manager, {
        type: 'billing.payment.failed',
        subject,
        data: {
          paidFor: 'purchase',
          checkoutSessionId: subject,
          invoiceId: null,
          subscriptionId: null,
          attempt: null,
          userId,
          customerId: 'cus_stream',
          productId: 'prd_x',
          amount: 100,
          currency: 'USD',
          reason: `attempt ${(counter += 1)}`,
          declineCode: null,
        },
      }),
    );

  it('streams live events served by the other process, resumes after a disconnect with none lost or repeated', async () => {
    const trader = { sub: 'user_stream' };
    const first = await openStream(`${replicaUrl}/v1/billing/stream`, replica.as(trader));
    expect(first.response.statusCode).toBe(200);
    expect(first.response.headers['content-type']).toContain('text/event-stream');
    await new Promise((resolve) => setTimeout(resolve, 200));
    const e1 = await emit('user_stream');
    const e2 = await emit('user_stream');
    await emit('user_other', 'chk_other');
    await eventually(async () => first.events.length >= 2);
    expect(first.events.map((event) => event.id)).toEqual([e1.id, e2.id]);
    expect(first.events.map((event) => event.data.sequence)).toEqual([1, 2]);
    first.close();

    // While disconnected: two more events.
    const e3 = await emit('user_stream');
    const e4 = await emit('user_stream');
    await eventually(async () => {
      const rows = await producer.dataSource.query(
        'SELECT 1 FROM platform.event_history WHERE event_id = ANY($1) AND stream_position IS NOT NULL',
        [[e3.id, e4.id]],
      );
      return rows.length === 2;
    });
    const resumed = await openStream(`${replicaUrl}/v1/billing/stream`, {
      ...replica.as(trader),
      'last-event-id': e2.id,
    });
    await eventually(async () => resumed.events.length >= 2);
    const e5 = await emit('user_stream');
    await eventually(async () => resumed.events.length >= 3);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(resumed.events.map((event) => event.id)).toEqual([e3.id, e4.id, e5.id]);
    expect(resumed.events.map((event) => event.data.sequence)).toEqual([3, 4, 5]);
    resumed.close();
  });

  it("lets staff stream a customer's events, and refuses a trader another user's", async () => {
    const staff = await openStream(
      `${replicaUrl}/v1/billing/stream?userId=user_watched`,
      replica.as({ sub: 'user_support', roles: ['support'] }),
    );
    expect(staff.response.statusCode).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const event = await emit('user_watched', 'chk_watched');
    await eventually(async () => staff.events.length >= 1);
    expect(staff.events[0].id).toBe(event.id);
    staff.close();

    const refused = await replica.inject({
      method: 'GET',
      url: '/v1/billing/stream?userId=user_watched',
      headers: replica.as({ sub: 'user_nosy' }),
    });
    expect(refused.statusCode).toBe(403);
  });

  it('lists the caller’s own history with sequences, filtered by type and paginated; staff by customer', async () => {
    const page1 = await replica.inject({
      method: 'GET',
      url: '/v1/billing/events?limit=2&type=billing.payment.failed',
      headers: replica.as({ sub: 'user_stream' }),
    });
    expect(page1.statusCode).toBe(200);
    const body1 = page1.json();
    expect(body1.data).toHaveLength(2);
    expect(body1.data.every((event: SseEvent['data']) => event.data.userId === 'user_stream')).toBe(true);
    const page2 = await replica.inject({
      method: 'GET',
      url: `/v1/billing/events?limit=100&cursor=${body1.nextCursor}`,
      headers: replica.as({ sub: 'user_stream' }),
    });
    const all = [...body1.data, ...page2.json().data] as Array<SseEvent['data']>;
    expect(all.map((event) => event.sequence)).toEqual([5, 4, 3, 2, 1]);

    const admin = await replica.inject({
      method: 'GET',
      url: '/v1/admin/events?customerId=user_other',
      headers: replica.as({ roles: ['support'] }),
    });
    expect(admin.json().data).toHaveLength(1);
    const trader = await replica.inject({
      method: 'GET',
      url: '/v1/admin/events',
      headers: replica.as({ roles: ['trader'] }),
    });
    expect(trader.statusCode).toBe(403);
  });
});
