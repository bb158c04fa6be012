import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EVENT_TYPES } from '@astrix/contracts';
import { OutboundRelay } from '../../src/modules/notifications';
import { WebhookSender } from '../../src/modules/notifications/webhook-sender.service';
import { WebhookBatchSender } from '../../src/modules/notifications/webhook-batch-sender';
import { OutboundMetrics } from '../../src/modules/notifications/outbound-metrics';
import { WebhookSecrets } from '../../src/modules/notifications/webhook-secrets';
import { AppConfig } from '../../src/platform/config/app-config';
import { Clock } from '../../src/platform/clock';
import { CommitListener, LISTENER_APPLICATION_NAME } from '../../src/platform/database/commit-listener';
import { OutboxService } from '../../src/platform/events/outbox.service';
import { eventually, startTestApp, TestApp } from '../support/test-app';

const ADMIN = { sub: 'user_admin', roles: ['admin'] };

/** A receiver that notes every request in the order it arrived and answers 200. */
async function startReceiver(): Promise<{ url: string; arrived: IncomingHttpHeaders[]; server: Server }> {
  const arrived: IncomingHttpHeaders[] = [];
  const server = createServer((request, response) => {
    arrived.push(request.headers);
    request.resume();
    request.on('end', () => response.writeHead(200).end('ok'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`, arrived, server };
}

const appendEvents = (t: TestApp, subject: string, count: number): Promise<string[]> =>
  t.dataSource.transaction(async (manager) => {
    const ids: string[] = [];
    for (let index = 0; index < count; index += 1) {
      const event = await t.app.get(OutboxService).append(manager, {
        type: 'platform.api_key.revoked',
        subject,
        data: { apiKeyId: subject, name: `key ${index}`, revokedBy: 'test' },
      });
      ids.push(event.id);
    }
    return ids;
  });

const published = async (t: TestApp, eventIds: string[]): Promise<boolean> => {
  const [{ n }] = (await t.dataSource.query(
    `SELECT count(*)::int AS n FROM platform.outbox_events WHERE event_id = ANY($1) AND published_at IS NOT NULL`,
    [eventIds],
  )) as Array<{ n: number }>;
  return n === eventIds.length;
};

describe('wake on commit (LISTEN/NOTIFY), polling only as a fallback', () => {
  let t: TestApp;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;

  beforeAll(async () => {
    receiver = await startReceiver();
    // A fallback poll of 80 minutes: whatever moves within the test was woken by a notification.
    t = await startTestApp({ workers: true, env: { OUTBOX_POLL_INTERVAL_MS: '600000' } });
  });
  afterAll(async () => {
    await t.close();
    await new Promise((resolve) => receiver.server.close(resolve));
  });

  it('publishes a committed event and delivers its webhook without waiting for a poll', async () => {
    await eventually(async () => t.app.get(CommitListener).listening);
    const created = await t.inject({
      method: 'POST',
      url: '/v1/admin/webhook-endpoints',
      headers: t.as(ADMIN),
      payload: { url: receiver.url, eventTypes: ['platform.api_key.revoked'] },
    });
    expect(created.statusCode).toBe(201);
    const ids = await appendEvents(t, 'key_woken', 3);
    await eventually(async () => published(t, ids));
    await eventually(async () => receiver.arrived.length >= 3);
    // End to end the events queue consumes events side by side, so their deliveries may become due
    // out of order (docs/architecture.md, outbound ordering): the set is compared here.
    expect(receiver.arrived.map((headers) => headers['webhook-id']).sort()).toEqual([...ids].sort());
  });

  it('listens again after its connection is dropped (as by a Postgres restart) and catches up', async () => {
    const listener = t.app.get(CommitListener);
    const before = listener.connections;
    const terminated = (await t.dataSource.query(
      `SELECT pg_terminate_backend(pid) AS done FROM pg_stat_activity
        WHERE application_name = $1 AND datname = current_database()`,
      [LISTENER_APPLICATION_NAME],
    )) as Array<{ done: boolean }>;
    expect(terminated).toEqual([{ done: true }]);
    await eventually(async () => listener.connections === before + 1 && listener.listening);
    receiver.arrived.length = 0;
    const ids = await appendEvents(t, 'key_after_restart', 2);
    await eventually(async () => published(t, ids));
    await eventually(async () => receiver.arrived.length >= 2);
    expect(receiver.arrived.map((headers) => headers['webhook-id']).sort()).toEqual([...ids].sort());
  });

  it('wakes the delivery relay when staff retry a delivery (an update, not an insert)', async () => {
    const [delivery] = (await t.dataSource.query(
      `SELECT d.id, d.endpoint_id FROM platform.webhook_deliveries d WHERE d.status = 'succeeded' LIMIT 1`,
    )) as Array<{ id: string; endpoint_id: string }>;
    receiver.arrived.length = 0;
    const retried = await t.inject({
      method: 'POST',
      url: `/v1/admin/webhook-endpoints/${delivery.endpoint_id}/deliveries/${delivery.id}/retry`,
      headers: t.as(ADMIN),
    });
    expect(retried.statusCode).toBe(202);
    await eventually(async () => receiver.arrived.length >= 1);
  });
});

describe('outbound deliveries in batches (relay driven by hand)', () => {
  let t: TestApp;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let endpointId: string;

  beforeAll(async () => {
    receiver = await startReceiver();
    t = await startTestApp();
    const created = await t.inject({
      method: 'POST',
      url: '/v1/admin/webhook-endpoints',
      headers: t.as(ADMIN),
      payload: { url: receiver.url, eventTypes: [...EVENT_TYPES] },
    });
    expect(created.statusCode).toBe(201);
    endpointId = created.json().id as string;
  });
  afterAll(async () => {
    await t.close();
    await new Promise((resolve) => receiver.server.close(resolve));
  });

  /** Records events in the history with their deliveries, as the history consumer does, last event first. */
  const recordReversed = async (subject: string, count: number): Promise<string[]> => {
    const ids = await appendEvents(t, subject, count);
    const { EventHistoryConsumer } = await import('../../src/modules/notifications/event-history.consumer');
    const consumer = t.app.get(EventHistoryConsumer);
    const rows = (await t.dataSource.query(
      `SELECT envelope FROM platform.outbox_events WHERE event_id = ANY($1) ORDER BY position DESC`,
      [ids],
    )) as Array<{ envelope: Parameters<typeof consumer.record>[0] }>;
    for (const row of rows)
      await t.dataSource.transaction((manager) => consumer.record(row.envelope, manager));
    return ids;
  };
  const deliveries = async (eventIds: string[]) =>
    (await t.dataSource.query(
      `SELECT status, attempts FROM platform.webhook_deliveries WHERE endpoint_id = $1 AND event_id = ANY($2)`,
      [endpointId, eventIds],
    )) as Array<{ status: string; attempts: number }>;

  it('sends an endpoint its deliveries in outbox order, whatever order they were created in', async () => {
    receiver.arrived.length = 0;
    const ids = await recordReversed('key_ordered', 120);
    const relay = t.app.get(OutboundRelay);
    let sent = 0;
    for (let moved = await relay.deliverDue(50); moved > 0; moved = await relay.deliverDue(50)) sent += moved;
    expect(sent).toBe(120);
    expect(receiver.arrived.map((headers) => headers['webhook-id'])).toEqual(ids);
    expect(await deliveries(ids)).toEqual(ids.map(() => ({ status: 'succeeded', attempts: 1 })));
  });

  it('lets one sender at a time work on an endpoint: two processes racing send each delivery once, in order', async () => {
    receiver.arrived.length = 0;
    const ids = await recordReversed('key_concurrent', 60);
    // A second worker process: its own sender with its own connections, on the same database.
    const other = new WebhookBatchSender(
      t.dataSource,
      t.app.get(AppConfig),
      t.app.get(Clock),
      t.app.get(WebhookSecrets),
      t.app.get(WebhookSender),
      t.app.get(OutboundMetrics),
    );
    const mine = t.app.get(WebhookBatchSender);
    for (let round = 0; round < 10 && receiver.arrived.length < 60; round += 1)
      await Promise.all([mine.sendDue(20), other.sendDue(20)]);
    await other.onApplicationShutdown();
    expect(receiver.arrived.map((headers) => headers['webhook-id'])).toEqual(ids);
  });

  it('sends again what was sent but not recorded (the round failed before commit): at least once', async () => {
    receiver.arrived.length = 0;
    const ids = await recordReversed('key_unrecorded', 2);
    const relay = t.app.get(OutboundRelay);
    const health = jest
      .spyOn(t.app.get(WebhookSender), 'trackEndpointHealth')
      .mockRejectedValueOnce(new Error('database connection lost'));
    await expect(relay.deliverDue()).rejects.toThrow('database connection lost');
    health.mockRestore();
    expect(receiver.arrived.map((headers) => headers['webhook-id'])).toEqual(ids);
    expect(await deliveries(ids)).toEqual(ids.map(() => ({ status: 'pending', attempts: 0 })));

    expect(await relay.deliverDue()).toBe(2);
    expect(receiver.arrived.map((headers) => headers['webhook-id'])).toEqual([...ids, ...ids]);
    expect(await deliveries(ids)).toEqual(ids.map(() => ({ status: 'succeeded', attempts: 1 })));
  });
});
