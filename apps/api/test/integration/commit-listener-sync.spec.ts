import { AppConfig } from '../../src/platform/config/app-config';
import {
  CommitListener,
  CUSTOMER_ROWS_CHANNEL,
  ListenerUnavailableError,
} from '../../src/platform/database/commit-listener';
import { eventually, startTestApp, TestApp } from '../support/test-app';

/**
 * CommitListener.sync() is what lets entitlement checks answer from memory: once it resolves, every
 * notice of a transaction committed before the call has been handed to the handlers. Commits here are
 * made on the app's pool (another backend), as another process would.
 */
describe('CommitListener.sync (integration)', () => {
  let t: TestApp;
  let listener: CommitListener;

  beforeAll(async () => {
    t = await startTestApp();
    listener = new CommitListener(t.app.get(AppConfig));
  });
  afterAll(async () => {
    await listener.onApplicationShutdown();
    await t.close();
  });

  it('refuses while no connection listens', async () => {
    const idle = new CommitListener(t.app.get(AppConfig));
    await expect(idle.sync()).rejects.toBeInstanceOf(ListenerUnavailableError);
  });

  it('resolves only after the notices of every commit made before it were handled', async () => {
    const seen: Array<string | null> = [];
    listener.on(CUSTOMER_ROWS_CHANNEL, (payload) => seen.push(payload));
    // Told (null) once connected and listening.
    await eventually(async () => listener.listening && seen.includes(null));
    for (let round = 0; round < 40; round += 1) {
      const payload = `cust_sync_${round}`;
      await t.dataSource.query(`SELECT pg_notify($1, $2)`, [CUSTOMER_ROWS_CHANNEL, payload]);
      // Several calls at once share round trips; every one of them comes after the commit.
      await Promise.all([listener.sync(), listener.sync(), listener.sync()]);
      expect(seen).toContain(payload);
    }
  });

  it('answers a call made while another round trip is out with one sent after it', async () => {
    const seen: Array<string | null> = [];
    listener.on(CUSTOMER_ROWS_CHANNEL, (payload) => seen.push(payload));
    await eventually(async () => listener.listening);
    for (let round = 0; round < 40; round += 1) {
      const payload = `cust_overlap_${round}`;
      // Rounds already asked for (some out on the wire) while the commit happens.
      const before = [listener.sync(), listener.sync()];
      await new Promise((resolve) => setImmediate(resolve));
      const earlier = listener.sync();
      await t.dataSource.query(`SELECT pg_notify($1, $2)`, [CUSTOMER_ROWS_CHANNEL, payload]);
      await listener.sync();
      expect(seen).toContain(payload);
      await Promise.all([...before, earlier]);
    }
  });

  it('tells a handler added while connected once its channel is listened to, then delivers to it', async () => {
    await eventually(async () => listener.listening);
    const late: Array<string | null> = [];
    listener.on('astrix_entitlements', (payload) => late.push(payload));
    await eventually(async () => late.includes(null));
    await t.dataSource.query(`SELECT pg_notify('astrix_entitlements', 'late')`);
    await listener.sync();
    expect(late).toContain('late');
  });
});
