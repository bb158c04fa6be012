import { CatalogService } from '../../src/modules/billing/catalog/catalog.service';
import { Clock } from '../../src/platform/clock';
import { CommitListener, LISTENER_APPLICATION_NAME } from '../../src/platform/database/commit-listener';
import { EntitlementsCatalog } from '../../src/modules/billing/metering/entitlements-catalog';
import { productBySlug } from '../support/billing';
import { eventually, issueApiKey, startTestApp, TestApp } from '../support/test-app';
import {
  createFeature,
  entitlementChecksAnswered,
  grantToPlan,
  insertCustomer,
  insertNovemberSubscriber,
  insertSubscription,
} from '../support/usage';

/**
 * Every change of a customer's rows (subscriptions, staff grants and overrides, hold, the reference
 * they are checked by) is made below in plain SQL, behind the process's back as another process
 * would, and the very next check must know it: no copy in memory may answer for them.
 */
describe('entitlement checks see every change of the customer at once (e2e)', () => {
  let t: TestApp;
  let checkKey: string;
  let proId: string;
  let otherPlanId: string;
  let now: Date;

  beforeAll(async () => {
    t = await startTestApp();
    now = new Date('2026-11-15T12:00:00Z');
    jest.spyOn(t.app.get(Clock), 'now').mockImplementation(() => new Date(now.getTime()));
    await t.app.get(CatalogService).seedDemoCatalog();
    proId = (await productBySlug(t, 'pro-monthly')).id;
    otherPlanId = (await productBySlug(t, 'elite-monthly')).id;
    checkKey = await issueApiKey(t, 'rows-checker', ['entitlements:read']);
    await createFeature(t, { id: 'rows-alerts', name: 'Alerts', kind: 'boolean' });
    await createFeature(t, { id: 'rows-calls', name: 'Calls', kind: 'limit', aggregation: 'sum' });
    await grantToPlan(t, proId, 'rows-alerts', {});
    await grantToPlan(t, proId, 'rows-calls', { limit: 10 });
  });
  afterAll(() => t.close());

  const check = async (customerId: string, featureId: string, quantity = 1) => {
    const response = await t.inject({
      method: 'POST',
      url: '/v1/entitlements/check',
      headers: { authorization: `Bearer ${checkKey}` },
      payload: { customerId, featureId, quantity },
    });
    expect(response.statusCode).toBe(200);
    return response.json() as Record<string, unknown>;
  };
  const subscriber = (user: string) => insertNovemberSubscriber(t, user, proId);
  /** Changes the subscription behind the process's back, as another process would. */
  const setSubscription = (subscriptionId: string, assignment: string) =>
    t.dataSource.query(`UPDATE billing.subscriptions SET ${assignment} WHERE id = $1`, [subscriptionId]);
  const usage = (customerId: string, key: string, quantity: number, at: string) =>
    t.dataSource.query(
      `INSERT INTO billing.usage_events (customer_id, idempotency_key, id, feature_id, quantity, occurred_at, reported_by, received_at)
       VALUES ($1, $2, $3, 'rows-calls', $4, $5, 'test', now())`,
      [customerId, key, `ue_${key}`, quantity, at],
    );

  it('sees every change of the subscription at the very next check', async () => {
    const { customerId, subscriptionId } = await subscriber('rows_subscription');
    expect(await check('rows_subscription', 'rows-alerts')).toMatchObject({ allowed: true });
    await setSubscription(subscriptionId, `status = 'past_due'`);
    expect(await check('rows_subscription', 'rows-alerts')).toMatchObject({
      allowed: false,
      reason: 'subscription_past_due',
    });
    await setSubscription(subscriptionId, `status = 'active'`);
    expect(await check('rows_subscription', 'rows-alerts')).toMatchObject({ allowed: true });

    // A renewal moves the period: usage is counted over the new one at once.
    await usage(customerId, 'rows-sub-1', 7, '2026-11-10T00:00:00Z');
    expect(await check('rows_subscription', 'rows-calls')).toMatchObject({ used: 7, remaining: 3 });
    await setSubscription(subscriptionId, `current_period_start = '2026-11-12T00:00:00Z'`);
    expect(await check('rows_subscription', 'rows-calls')).toMatchObject({ used: 0, remaining: 10 });

    // Canceled, then deleted outright: no subscription.
    await setSubscription(subscriptionId, `status = 'canceled'`);
    expect(await check('rows_subscription', 'rows-alerts')).toMatchObject({
      allowed: false,
      reason: 'no_subscription',
    });
    await setSubscription(subscriptionId, `status = 'active'`);
    expect(await check('rows_subscription', 'rows-alerts')).toMatchObject({ allowed: true });
    await t.dataSource.query(`DELETE FROM billing.subscriptions WHERE id = $1`, [subscriptionId]);
    expect(await check('rows_subscription', 'rows-alerts')).toMatchObject({ reason: 'no_subscription' });
    // A new subscription (an insert) is seen as well.
    await insertSubscription(t, {
      customerId,
      userId: 'rows_subscription',
      productId: proId,
      status: 'active',
      start: new Date('2026-11-01T00:00:00Z'),
      end: new Date('2026-12-01T00:00:00Z'),
    });
    expect(await check('rows_subscription', 'rows-alerts')).toMatchObject({ allowed: true });
  });

  it('sees a change of plan, and of what the plan grants', async () => {
    const { subscriptionId } = await subscriber('rows_plan');
    expect(await check('rows_plan', 'rows-calls')).toMatchObject({ limit: 10 });
    await grantToPlan(t, proId, 'rows-calls', { limit: 12 });
    expect(await check('rows_plan', 'rows-calls')).toMatchObject({ limit: 12 });
    // Elite does not grant the test's feature.
    await t.dataSource.query(`UPDATE billing.subscriptions SET product_id = $1 WHERE id = $2`, [
      otherPlanId,
      subscriptionId,
    ]);
    expect(await check('rows_plan', 'rows-calls')).toMatchObject({
      allowed: false,
      reason: 'feature_not_in_plan',
    });
  });

  it('sees a hold, a staff grant, its revocation and its expiry', async () => {
    const customerId = await insertCustomer(t, 'rows_staff');
    expect(await check('rows_staff', 'rows-alerts')).toMatchObject({ reason: 'no_subscription' });
    await t.dataSource.query(
      `INSERT INTO billing.customer_entitlements (id, customer_id, feature_id, kind, enabled, "limit", expires_at, reason, created_by, created_at)
       VALUES ('cent_rows_1', $1, 'rows-alerts', 'grant', true, NULL, '2026-11-20T00:00:00Z', 'goodwill', 'test', now())`,
      [customerId],
    );
    expect(await check('rows_staff', 'rows-alerts')).toMatchObject({ allowed: true, source: 'grant' });
    // The grant lapses at its expiry, without any write.
    now = new Date('2026-11-21T00:00:00Z');
    expect(await check('rows_staff', 'rows-alerts')).toMatchObject({
      allowed: false,
      reason: 'no_subscription',
    });
    now = new Date('2026-11-15T12:00:10Z');
    expect(await check('rows_staff', 'rows-alerts')).toMatchObject({ allowed: true });
    await t.dataSource.query(
      `UPDATE billing.customer_entitlements SET revoked_at = now(), revoked_by = 'test' WHERE id = 'cent_rows_1'`,
    );
    expect(await check('rows_staff', 'rows-alerts')).toMatchObject({ allowed: false });
    await t.dataSource.query(
      `UPDATE billing.customer_entitlements SET revoked_at = NULL WHERE id = 'cent_rows_1'`,
    );
    expect(await check('rows_staff', 'rows-alerts')).toMatchObject({ allowed: true });
    await t.dataSource.query(`DELETE FROM billing.customer_entitlements WHERE id = 'cent_rows_1'`);
    expect(await check('rows_staff', 'rows-alerts')).toMatchObject({ allowed: false });

    await subscriber('rows_hold');
    expect(await check('rows_hold', 'rows-alerts')).toMatchObject({ allowed: true });
    await t.dataSource.query(
      `UPDATE billing.customers SET fraud_status = 'review' WHERE user_id = 'rows_hold'`,
    );
    expect(await check('rows_hold', 'rows-alerts')).toMatchObject({
      allowed: false,
      reason: 'customer_on_hold',
    });
    await t.dataSource.query(
      `UPDATE billing.customers SET fraud_status = 'clear' WHERE user_id = 'rows_hold'`,
    );
    expect(await check('rows_hold', 'rows-alerts')).toMatchObject({ allowed: true });
  });

  it('follows a reference that names another customer now', async () => {
    const first = await subscriber('rows_ref');
    expect(await check('rows_ref', 'rows-alerts')).toMatchObject({
      customerId: first.customerId,
      allowed: true,
    });
    await t.dataSource.query(`UPDATE billing.customers SET user_id = 'rows_ref_before' WHERE id = $1`, [
      first.customerId,
    ]);
    const second = await insertCustomer(t, 'rows_ref');
    expect(await check('rows_ref', 'rows-alerts')).toMatchObject({
      customerId: second,
      allowed: false,
      reason: 'no_subscription',
    });
    expect(await check('rows_ref_before', 'rows-alerts')).toMatchObject({
      customerId: first.customerId,
      allowed: true,
    });
  });

  const answered = () => entitlementChecksAnswered(t);
  const listenerUp = () => eventually(async () => t.app.get(CommitListener).listening);
  /**
   * Every notice of what was committed so far handled, and the definitions' reload those notices (or a
   * reconnection) started finished: until it has, checks rightly go to Postgres (seen under CI load).
   */
  const settled = async () => {
    await t.app.get(CommitListener).sync();
    await eventually(async () => t.app.get(EntitlementsCatalog).fresh() !== null);
  };

  it('answers a repeated check from memory, and the first check after a change from Postgres', async () => {
    await listenerUp();
    const { subscriptionId } = await subscriber('rows_memory');
    // The setup's own commit notices are handled first: arriving after the first check kept its copy,
    // they would drop it (rightly) and send the next check to Postgres.
    await settled();
    expect(await check('rows_memory', 'rows-alerts')).toMatchObject({ allowed: true });
    const before = await answered();
    for (let n = 0; n < 5; n += 1) {
      expect(await check('rows_memory', 'rows-alerts')).toMatchObject({ allowed: true });
    }
    expect(await answered()).toEqual({ memory: before.memory + 5, database: before.database });

    await setSubscription(subscriptionId, `status = 'past_due'`);
    expect(await check('rows_memory', 'rows-alerts')).toMatchObject({ reason: 'subscription_past_due' });
    expect(await answered()).toEqual({ memory: before.memory + 5, database: before.database + 1 });
    expect(await check('rows_memory', 'rows-alerts')).toMatchObject({ reason: 'subscription_past_due' });
    expect(await answered()).toEqual({ memory: before.memory + 6, database: before.database + 1 });

    // Limit features too, from the usage total held.
    expect(await check('rows_memory', 'rows-calls')).toMatchObject({ reason: 'subscription_past_due' });
    await setSubscription(subscriptionId, `status = 'active'`);
    expect(await check('rows_memory', 'rows-calls')).toMatchObject({ allowed: true, used: 0 });
    const metered = await answered();
    expect(await check('rows_memory', 'rows-calls')).toMatchObject({ allowed: true, used: 0 });
    expect((await answered()).memory).toBe(metered.memory + 1);
    // Usage recorded behind the process's back (as another API process would) counts at the next check.
    const { customerId } = (
      await t.dataSource.query(
        `SELECT customer_id AS "customerId" FROM billing.subscriptions WHERE id = $1`,
        [subscriptionId],
      )
    )[0] as { customerId: string };
    // Its notice carries the amounts: the held total takes them, so that check is answered from memory too.
    await usage(customerId, 'rows-memory-1', 4, '2026-11-10T00:00:00Z');
    expect(await check('rows_memory', 'rows-calls')).toMatchObject({ used: 4 });
    expect(await check('rows_memory', 'rows-calls')).toMatchObject({ used: 4 });
    expect((await answered()).memory).toBe(metered.memory + 3);
  });

  it('answers from Postgres while its commit listener is down, so no change is missed then', async () => {
    await listenerUp();
    const listener = t.app.get(CommitListener);
    const { subscriptionId } = await subscriber('rows_listener');
    expect(await check('rows_listener', 'rows-alerts')).toMatchObject({ allowed: true });
    expect(await check('rows_listener', 'rows-alerts')).toMatchObject({ allowed: true });
    const connections = listener.connections;
    // The listener's backend goes away (as in a Postgres restart): its notifications are lost.
    await t.dataSource.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
        WHERE application_name = $1 AND datname = current_database()`,
      [LISTENER_APPLICATION_NAME],
    );
    await setSubscription(subscriptionId, `status = 'paused'`);
    expect(await check('rows_listener', 'rows-alerts')).toMatchObject({ reason: 'subscription_paused' });
    // Reconnected, the copies read before are forgotten, and memory answers again.
    await eventually(async () => listener.connections === connections + 1 && listener.listening);
    await setSubscription(subscriptionId, `status = 'active'`);
    await settled(); // as above: the change's own notice is handled before the copy is read
    expect(await check('rows_listener', 'rows-alerts')).toMatchObject({ allowed: true });
    const before = await answered();
    expect(await check('rows_listener', 'rows-alerts')).toMatchObject({ allowed: true });
    expect((await answered()).memory).toBe(before.memory + 1);
  });

  it('misses no change committed while checks race it', async () => {
    const { subscriptionId } = await subscriber('rows_race');
    const statuses = ['past_due', 'active', 'paused', 'active', 'past_due', 'active'];
    for (const status of statuses) {
      // Checks in flight while the change commits may see either side; the first check started after
      // the commit must see the new status.
      const racing = Array.from({ length: 20 }, () => check('rows_race', 'rows-alerts'));
      await t.dataSource.query(`UPDATE billing.subscriptions SET status = $1 WHERE id = $2`, [
        status,
        subscriptionId,
      ]);
      await Promise.all(racing);
      const after = await check('rows_race', 'rows-alerts');
      expect(after).toMatchObject(
        status === 'active'
          ? { allowed: true }
          : { allowed: false, reason: status === 'paused' ? 'subscription_paused' : 'subscription_past_due' },
      );
    }
  });
});
