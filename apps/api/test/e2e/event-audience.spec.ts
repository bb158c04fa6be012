import { get } from 'node:http';
import { EVENT_AUDIENCES, EVENT_TYPES, type EventDataByType, type EventType } from '@astrix/contracts';
import { OutboxService } from '../../src/platform/events/outbox.service';
import { EventHistoryConsumer } from '../../src/modules/notifications/event-history.consumer';
import { OutboundRelay } from '../../src/modules/notifications/outbound-relay.service';
import { eventually, startTestApp, TestApp } from '../support/test-app';

const TRADER = { sub: 'user_audience' };
const STAFF = { sub: 'staff_support', roles: ['support'] };

/** A Server-Sent Events client that keeps the `event:` names it receives. */
function openStream(
  url: string,
  headers: Record<string, string>,
): Promise<{ types: string[]; close(): void }> {
  return new Promise((resolve, reject) => {
    const types: string[] = [];
    const request = get(url, { headers }, (response) => {
      let buffer = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const type = /^event: (.+)$/m.exec(buffer.slice(0, end))?.[1];
          if (type) types.push(type);
          buffer = buffer.slice(end + 2);
        }
      });
      resolve({ types, close: () => request.destroy() });
    });
    request.on('error', reject);
  });
}

/**
 * Every event type of the contracts, concerning one trader, through the real history consumer and
 * stream relay: who sees it follows its audience in EVENT_AUDIENCES, in the trader's history, the
 * trader's live stream, a resumed stream, and the staff history.
 */
describe('who sees which event', () => {
  let t: TestApp;
  let url: string;
  beforeAll(async () => {
    t = await startTestApp();
    await t.app.listen(0, '127.0.0.1');
    url = await t.app.getUrl();
  });
  afterAll(() => t.close());

  const record = (type: EventType, subject: string) =>
    t.dataSource.transaction(async (manager) => {
      const data = { userId: TRADER.sub, customerId: 'cus_audience', reason: 'test' };
      const event = await t.app
        .get(OutboxService)
        .append(manager, { type, subject, data: data as unknown as EventDataByType[EventType] });
      await t.app.get(EventHistoryConsumer).record(event, manager);
      return event;
    });

  it('declares an audience for every type, fraud flags for staff only', () => {
    expect(Object.keys(EVENT_AUDIENCES).sort()).toEqual([...EVENT_TYPES].sort());
    expect(EVENT_AUDIENCES['billing.fraud.flagged']).toBe('staff');
    expect(EVENT_AUDIENCES['billing.payment.completed']).toBe('trader');
  });

  it('shows a trader only trader events, in history, live and resumed streams; staff see all', async () => {
    const live = await openStream(`${url}/v1/billing/stream`, t.as(TRADER));
    await new Promise((resolve) => setTimeout(resolve, 200));
    const first = await record('billing.payment.failed', 'chk_audience_first');
    for (const type of EVENT_TYPES) await record(type, `sub_${type}`);
    // A last trader event: once it has arrived, everything before it has been streamed.
    await record('billing.payment.failed', 'chk_audience_last');
    const relay = t.app.get(OutboundRelay);
    await relay.drain();
    await eventually(async () => live.types.filter((type) => type === 'billing.payment.failed').length >= 3);
    live.close();

    const resumed = await openStream(`${url}/v1/billing/stream`, {
      ...t.as(TRADER),
      'last-event-id': first.id,
    });
    await eventually(
      async () => resumed.types.filter((type) => type === 'billing.payment.failed').length >= 2,
    );
    resumed.close();

    const history = await t.inject({
      method: 'GET',
      url: '/v1/billing/events?limit=100',
      headers: t.as(TRADER),
    });
    expect(history.statusCode).toBe(200);
    const historyTypes = (history.json().data as Array<{ type: string }>).map((event) => event.type);
    const staffHistory = await t.inject({
      method: 'GET',
      url: `/v1/admin/events?customerId=${TRADER.sub}&limit=100`,
      headers: t.as(STAFF),
    });
    expect(staffHistory.statusCode).toBe(200);
    const staffTypes = (staffHistory.json().data as Array<{ type: string }>).map((event) => event.type);

    const seen = EVENT_TYPES.map((type) => ({
      type,
      traderHistory: historyTypes.includes(type),
      traderStream: live.types.includes(type),
      traderResumedStream: resumed.types.includes(type),
      staffHistory: staffTypes.includes(type),
    }));
    const expected = EVENT_TYPES.map((type) => {
      const trader = EVENT_AUDIENCES[type] === 'trader';
      return {
        type,
        traderHistory: trader,
        traderStream: trader,
        traderResumedStream: trader,
        staffHistory: true,
      };
    });
    expect(seen).toEqual(expected);

    // Asking for a staff-only type by name does not reveal it either.
    const asked = await t.inject({
      method: 'GET',
      url: '/v1/billing/events?type=billing.fraud.flagged',
      headers: t.as(TRADER),
    });
    expect(asked.statusCode).toBe(200);
    expect(asked.json().data).toEqual([]);
  });
});
