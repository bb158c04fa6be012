import { getQueueToken } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import type { AstrixEvent } from '@astrix/contracts';
import { EventDispatcher } from '../../src/platform/events/event-dispatcher.service';
import { OutboxRelay } from '../../src/platform/events/outbox-relay.service';
import { OutboxService } from '../../src/platform/events/outbox.service';
import { JobQueue } from '../../src/platform/queues/job-queue.service';
import { ProbeModule } from '../support/probe.module';
import { eventually, startTestApp, TestApp } from '../support/test-app';

const consumedCount = async (t: TestApp, eventId: string): Promise<number> => {
  const rows = await t.dataSource.query(
    `SELECT count(*)::int AS n FROM platform.audit_log WHERE action = 'probe.consumed' AND resource_id = $1`,
    [eventId],
  );
  return rows[0].n as number;
};

const appendEvent = (t: TestApp, name: string): Promise<AstrixEvent> =>
  t.dataSource.transaction((manager) =>
    t.app.get(OutboxService).append(manager, {
      type: 'platform.api_key.created',
      subject: 'key_test',
      data: {
        apiKeyId: 'key_test',
        name,
        prefix: 'ak_test_abcd',
        scopes: ['usage:write'],
        mode: 'test',
        createdBy: 'test',
      },
    }),
  );

describe('outbox and inbox', () => {
  describe('without workers (relay driven by hand)', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp({ imports: [ProbeModule] });
    });
    afterAll(() => t.close());

    it('writes the event in the same transaction as the change: a rollback leaves no event', async () => {
      const service = t.app.get(OutboxService);
      await expect(
        t.dataSource.transaction(async (manager) => {
          await service.append(manager, {
            type: 'platform.api_key.revoked',
            subject: 'key_rolled_back',
            data: { apiKeyId: 'key_rolled_back', name: 'x', revokedBy: 'y' },
          });
          throw new Error('the state change failed');
        }),
      ).rejects.toThrow('the state change failed');
      const rows = await t.dataSource.query(
        `SELECT 1 FROM platform.outbox_events WHERE subject = 'key_rolled_back'`,
      );
      expect(rows).toHaveLength(0);
    });

    it('keeps committed events when publishing fails, and publishes them on the next run', async () => {
      const event = await appendEvent(t, 'crash-before-publish');
      const relay = t.app.get(OutboxRelay);
      const jobs = t.app.get(JobQueue);
      // The process "dies" between commit and publish: the queue is unreachable for this run.
      const enqueueMany = jest.spyOn(jobs, 'enqueueMany').mockRejectedValueOnce(new Error('redis went away'));
      await expect(relay.relayOnce()).rejects.toThrow('redis went away');
      const stillPending = await t.dataSource.query(
        'SELECT published_at FROM platform.outbox_events WHERE event_id = $1',
        [event.id],
      );
      expect(stillPending[0].published_at).toBeNull();
      enqueueMany.mockRestore();

      expect(await relay.drain()).toBeGreaterThanOrEqual(1);
      const queue = t.app.get<Queue>(getQueueToken('events'), { strict: false });
      const job = await queue.getJob(event.id);
      expect(job?.data).toEqual(event);
      expect(await relay.backlog()).toBe(0);
    });

    it('uses the event id as job id, so publishing twice queues one job', async () => {
      const event = await appendEvent(t, 'published-twice');
      const jobs = t.app.get(JobQueue);
      const queue = jobs.queue('events');
      await jobs.enqueue({ name: 'events.deliver', payload: event, jobId: event.id });
      await jobs.enqueue({ name: 'events.deliver', payload: event, jobId: event.id });
      const waiting = await queue.getJobs(['waiting', 'delayed', 'active', 'completed']);
      expect(waiting.filter((job) => job.id === event.id)).toHaveLength(1);
    });

    it('has a consumer fed the same event twice apply its effect once, also concurrently', async () => {
      const event = await appendEvent(t, 'delivered-twice');
      const dispatcher = t.app.get(EventDispatcher);
      expect(dispatcher.consumersOf('platform.api_key.created')).toContain('test.probe-consumer');
      await dispatcher.dispatch(event);
      await dispatcher.dispatch(event);
      expect(await consumedCount(t, event.id)).toBe(1);

      const raced = await appendEvent(t, 'raced');
      await Promise.all(Array.from({ length: 10 }, () => dispatcher.dispatch(raced)));
      expect(await consumedCount(t, raced.id)).toBe(1);
    });

    it('rolls back a failing consumer together with its inbox row, so the retry runs it again', async () => {
      const event = await appendEvent(t, 'fail-once');
      const dispatcher = t.app.get(EventDispatcher);
      await expect(dispatcher.dispatch(event)).rejects.toThrow('probe consumer asked to fail');
      const inbox = await t.dataSource.query('SELECT 1 FROM platform.inbox_entries WHERE event_id = $1', [
        event.id,
      ]);
      expect(inbox).toHaveLength(0);
    });

    // Issue #25: the history (and webhook deliveries) are written by the relay in the transaction
    // that marks events published, and an event no consumer acts on gets no job at all.
    it('records history atomically with publishing and queues only the events a consumer acts on', async () => {
      const relay = t.app.get(OutboxRelay);
      const queue = t.app.get(JobQueue).queue('events');
      const historyOf = async (eventId: string) =>
        (await t.dataSource.query('SELECT sequence FROM platform.event_history WHERE event_id = $1', [
          eventId,
        ])) as Array<{ sequence: number }>;
      const revoked = await t.dataSource.transaction((manager) =>
        t.app.get(OutboxService).append(manager, {
          type: 'platform.api_key.revoked',
          subject: 'key_history_only',
          data: { apiKeyId: 'key_history_only', name: 'x', revokedBy: 'y' },
        }),
      );
      const consumed = await appendEvent(t, 'history-and-job');

      // A round that cannot reach the queue rolls its history back with it.
      const jobs = t.app.get(JobQueue);
      const enqueueMany = jest.spyOn(jobs, 'enqueueMany').mockRejectedValueOnce(new Error('redis went away'));
      await expect(relay.relayOnce()).rejects.toThrow('redis went away');
      enqueueMany.mockRestore();
      expect(await historyOf(revoked.id)).toHaveLength(0);
      expect(await historyOf(consumed.id)).toHaveLength(0);

      await relay.drain();
      expect(await historyOf(revoked.id)).toEqual([{ sequence: 1 }]);
      expect(await historyOf(consumed.id)).toHaveLength(1);
      expect(await queue.getJob(revoked.id)).toBeUndefined(); // no consumer of api_key.revoked
      expect((await queue.getJob(consumed.id))?.data).toEqual(consumed); // the probe consumes it

      // Recording again (a relay that crashed after commit cannot, but a replay might) adds nothing.
      const { EventHistoryConsumer } = await import('../../src/modules/notifications/event-history.consumer');
      await t.dataSource.transaction((manager) =>
        t.app.get(EventHistoryConsumer).recordMany(manager, [revoked.id, consumed.id]),
      );
      const [{ n }] = (await t.dataSource.query(
        'SELECT count(*)::int AS n FROM platform.event_history WHERE event_id = ANY($1)',
        [[revoked.id, consumed.id]],
      )) as Array<{ n: number }>;
      expect(n).toBe(2);
    });

    it('records each event and its deliveries once when relays race for the same rows', async () => {
      await t.dataSource.query(
        `INSERT INTO platform.webhook_endpoints (id, url, description, event_types, status, secret, created_by, created_at, updated_at)
         VALUES ('whe_race', 'http://127.0.0.1:9/race', 'race', '{platform.api_key.revoked}', 'enabled', 'unused', 'test', now(), now())`,
      );
      const ids: string[] = [];
      for (let index = 0; index < 300; index += 1) {
        const event = await t.dataSource.transaction((manager) =>
          t.app.get(OutboxService).append(manager, {
            type: 'platform.api_key.revoked',
            subject: `key_race_${index % 7}`,
            data: { apiKeyId: `key_race_${index % 7}`, name: 'x', revokedBy: 'y' },
          }),
        );
        ids.push(event.id);
      }
      const relay = t.app.get(OutboxRelay);
      // Ten rounds at once, in small batches, as relays of several processes would run them.
      await Promise.all(Array.from({ length: 10 }, () => relay.relayOnce(40)));
      await relay.drain();
      const [counts] = (await t.dataSource.query(
        `SELECT (SELECT count(*)::int FROM platform.event_history WHERE event_id = ANY($1)) AS history,
                (SELECT count(DISTINCT event_id)::int FROM platform.event_history WHERE event_id = ANY($1)) AS distinct_history,
                (SELECT count(*)::int FROM platform.webhook_deliveries WHERE event_id = ANY($1)) AS deliveries,
                (SELECT count(*)::int FROM platform.outbox_events WHERE event_id = ANY($1) AND publish_attempts = 1) AS published_once`,
        [ids],
      )) as Array<{ history: number; distinct_history: number; deliveries: number; published_once: number }>;
      expect(counts).toEqual({ history: 300, distinct_history: 300, deliveries: 300, published_once: 300 });
      // Sequences per subject are gap-free ranks in outbox order, whichever relay recorded them.
      const sequences = (await t.dataSource.query(
        `SELECT subject, array_agg(sequence ORDER BY outbox_position) AS sequences
           FROM platform.event_history WHERE event_id = ANY($1) GROUP BY subject`,
        [ids],
      )) as Array<{ subject: string; sequences: number[] }>;
      for (const { sequences: ranks } of sequences)
        expect(ranks.map(Number)).toEqual(ranks.map((_, index) => index + 1));
    });

    it('consumes an account state change for cooling-off refunds only when it closes an untraded account', () => {
      const dispatcher = t.app.get(EventDispatcher);
      const stateChanged = (to: string, firstTradeAt: string | null) =>
        ({
          id: 'evt_state',
          type: 'accounts.account.state_changed',
          data: { to, firstTradeAt },
        }) as unknown as AstrixEvent;
      expect(dispatcher.consumersOf('accounts.account.state_changed')).toContain(
        'billing.cooling-off-refunds',
      );
      expect(dispatcher.consumersFor(stateChanged('active', null))).toEqual([]);
      expect(dispatcher.wanted(stateChanged('provisioning', null))).toBe(false);
      expect(dispatcher.consumersFor(stateChanged('closed', '2026-12-01T00:00:00.000Z'))).toEqual([]);
      expect(dispatcher.consumersFor(stateChanged('closed', null))).toEqual(['billing.cooling-off-refunds']);
    });
  });

  describe('with workers (relay polling, BullMQ worker consuming)', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp({ imports: [ProbeModule], workers: true });
    });
    afterAll(() => t.close());

    it('delivers an event emitted by a real state change exactly once, end to end', async () => {
      const created = await t.inject({
        method: 'POST',
        url: '/v1/admin/api-keys',
        headers: t.as({ sub: 'admin_1', roles: ['admin'] }),
        payload: { name: 'end-to-end', scopes: ['usage:write'] },
      });
      expect(created.statusCode).toBe(201);
      const [event] = await t.dataSource.query(
        `SELECT event_id FROM platform.outbox_events WHERE type = 'platform.api_key.created' AND subject = $1`,
        [created.json().id],
      );
      await eventually(async () => (await consumedCount(t, event.event_id)) === 1);
      // Re-publishing the same event (a relay that crashed before marking it) changes nothing.
      const [{ envelope }] = await t.dataSource.query(
        'SELECT envelope FROM platform.outbox_events WHERE event_id = $1',
        [event.event_id],
      );
      const jobs = t.app.get(JobQueue);
      await jobs.enqueue({ name: 'events.deliver', payload: envelope, jobId: `${event.event_id}-again` });
      await eventually(async () => {
        const job = await jobs.queue('events').getJob(`${event.event_id}-again`);
        return job ? await job.isCompleted() : false;
      });
      expect(await consumedCount(t, event.event_id)).toBe(1);
    });

    it('retries a failing consumer with backoff and keeps the failure for inspection', async () => {
      const event = await appendEvent(t, 'fail-always');
      const queue = t.app.get(JobQueue).queue('events');
      const job = await eventually(async () => {
        const found = await queue.getJob(event.id);
        return found && found.attemptsMade >= 1 && found.failedReason ? found : null;
      });
      expect(job.failedReason).toMatch(/probe consumer asked to fail/);
      expect(job.opts.attempts).toBe(10);
      expect(job.opts.backoff).toEqual({ type: 'exponential', delay: 1000 });
      expect(await consumedCount(t, event.id)).toBe(0);
    });
  });
});
