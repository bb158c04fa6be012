import { CatalogService } from '../../src/modules/billing/catalog/catalog.service';
import { EntitlementsCatalog } from '../../src/modules/billing/metering/entitlements-catalog';
import { Clock } from '../../src/platform/clock';
import { productBySlug } from '../support/billing';
import { issueApiKey, startTestApp, TestApp } from '../support/test-app';
import { ADMIN, createFeature, grantToPlan, insertCustomer, insertSubscription } from '../support/usage';

const PERIOD_START = new Date('2026-11-01T00:00:00Z');
const PERIOD_END = new Date('2026-12-01T00:00:00Z');

describe('entitlements (e2e)', () => {
  let t: TestApp;
  let checkKey: string;
  let usageKey: string;
  let proId: string;
  let basicId: string;
  let now: Date;
  let sequence = 0;

  beforeAll(async () => {
    t = await startTestApp();
    now = new Date('2026-11-15T12:00:00Z');
    jest.spyOn(t.app.get(Clock), 'now').mockImplementation(() => new Date(now.getTime()));
    await t.app.get(CatalogService).seedDemoCatalog();
    proId = (await productBySlug(t, 'pro-monthly')).id;
    const basic = await t.inject({
      method: 'POST',
      url: '/v1/admin/products',
      headers: t.as(ADMIN),
      payload: {
        kind: 'subscription',
        name: 'Basic',
        slug: 'basic-monthly',
        prices: [{ currency: 'USD', unitAmount: 900, recurring: { interval: 'month' } }],
      },
    });
    expect(basic.statusCode).toBe(201);
    basicId = basic.json().id;
    checkKey = await issueApiKey(t, 'trading-platform', ['entitlements:read']);
    usageKey = await issueApiKey(t, 'trading-platform-usage', ['usage:write']);
    await createFeature(t, { id: 'copy-trading', name: 'Copy trading', kind: 'boolean' });
    await createFeature(t, { id: 'watchlists', name: 'Watchlists', kind: 'limit', aggregation: 'latest' });
    await createFeature(t, { id: 'backtests', name: 'Backtests', kind: 'metered', aggregation: 'count' });
    await createFeature(t, { id: 'data-calls', name: 'Data calls', kind: 'metered' });
    await grantToPlan(t, proId, 'copy-trading', {});
    await grantToPlan(t, proId, 'watchlists', { limit: 5 });
    await grantToPlan(t, proId, 'backtests', { limit: 3 });
    await grantToPlan(t, proId, 'data-calls', {
      limit: 100,
      prices: [{ currency: 'USD', model: 'per_unit', unitAmount: 1 }],
    });
    await grantToPlan(t, basicId, 'watchlists', { limit: 1 });
  });
  afterAll(() => t.close());

  const check = async (customerId: string, featureId: string, quantity?: number) => {
    const response = await t.inject({
      method: 'POST',
      url: '/v1/entitlements/check',
      headers: { authorization: `Bearer ${checkKey}` },
      payload: { customerId, featureId, ...(quantity === undefined ? {} : { quantity }) },
    });
    expect(response.statusCode).toBe(200);
    return response.json() as Record<string, unknown>;
  };
  const customer = async (
    user: string,
    status: string | null,
    options: { productId?: string; fraud?: string } = {},
  ) => {
    const id = await insertCustomer(t, user, options.fraud ?? 'clear');
    if (status) {
      await insertSubscription(t, {
        customerId: id,
        userId: user,
        productId: options.productId ?? proId,
        status,
        start: PERIOD_START,
        end: PERIOD_END,
      });
    }
    return id;
  };
  const use = async (customerId: string, featureId: string, quantity = 1) => {
    sequence += 1;
    const response = await t.inject({
      method: 'POST',
      url: '/v1/usage/events',
      headers: { authorization: `Bearer ${usageKey}` },
      payload: {
        customerId,
        featureId,
        quantity,
        timestamp: '2026-11-15T11:00:00Z',
        idempotencyKey: `e-${sequence}`,
      },
    });
    expect(response.statusCode).toBe(201);
  };
  const putCustomerEntitlement = (customerId: string, featureId: string, body: Record<string, unknown>) =>
    t.inject({
      method: 'PUT',
      url: `/v1/admin/customers/${customerId}/entitlements/${featureId}`,
      headers: t.as(ADMIN),
      payload: { reason: 'support ticket 42', ...body },
    });

  it('answers every state with its machine-readable reason', async () => {
    await customer('u_active', 'active');
    await customer('u_trial', 'trialing');
    await customer('u_past_due', 'past_due');
    await customer('u_paused', 'paused');
    await customer('u_incomplete', 'incomplete');
    await customer('u_canceled', 'canceled');
    await customer('u_no_sub', null);
    await customer('u_basic', 'active', { productId: basicId });
    await customer('u_flagged', 'active', { fraud: 'flagged' });
    await customer('u_blocked', 'active', { fraud: 'blocked' });
    const cases: Array<[string, string, Record<string, unknown>]> = [
      [
        'u_active',
        'copy-trading',
        { allowed: true, reason: 'granted', kind: 'boolean', source: 'plan', limit: null },
      ],
      ['u_trial', 'copy-trading', { allowed: true, reason: 'granted' }],
      [
        'u_active',
        'watchlists',
        {
          allowed: true,
          reason: 'granted',
          limit: 5,
          used: 0,
          remaining: 5,
          resetsAt: PERIOD_END.toISOString(),
        },
      ],
      ['u_past_due', 'copy-trading', { allowed: false, reason: 'subscription_past_due' }],
      ['u_paused', 'copy-trading', { allowed: false, reason: 'subscription_paused' }],
      ['u_incomplete', 'copy-trading', { allowed: false, reason: 'subscription_incomplete' }],
      ['u_canceled', 'copy-trading', { allowed: false, reason: 'no_subscription' }],
      ['u_no_sub', 'copy-trading', { allowed: false, reason: 'no_subscription' }],
      [
        'nobody-at-all',
        'copy-trading',
        { allowed: false, reason: 'no_subscription', customerId: 'nobody-at-all' },
      ],
      ['u_basic', 'copy-trading', { allowed: false, reason: 'feature_not_in_plan' }],
      ['u_basic', 'watchlists', { allowed: true, reason: 'granted', limit: 1 }],
      ['u_flagged', 'copy-trading', { allowed: false, reason: 'customer_on_hold' }],
      ['u_blocked', 'copy-trading', { allowed: false, reason: 'customer_on_hold' }],
      ['u_active', 'no-such-feature', { allowed: false, reason: 'unknown_feature' }],
    ];
    for (const [user, feature, expected] of cases) {
      expect({ user, feature, answer: await check(user, feature) }).toEqual({
        user,
        feature,
        answer: expect.objectContaining(expected),
      });
    }
  });

  it('counts usage against limits and allowances: limit_reached on a cap, overage where the plan bills usage', async () => {
    const id = await customer('u_usage', 'active');
    await use('u_usage', 'backtests');
    await use('u_usage', 'backtests');
    // Usage accepted a moment ago is already counted (this process dropped its cached total).
    expect(await check(id, 'backtests')).toMatchObject({
      allowed: true,
      used: 2,
      remaining: 1,
      customerId: id,
    });
    expect(await check('u_usage', 'backtests', 2)).toMatchObject({
      allowed: false,
      reason: 'limit_reached',
      remaining: 1,
    });
    await use('u_usage', 'backtests');
    expect(await check('u_usage', 'backtests')).toMatchObject({
      allowed: false,
      reason: 'limit_reached',
      used: 3,
      remaining: 0,
    });
    expect(await check('u_usage', 'backtests', 0)).toMatchObject({ allowed: true, reason: 'granted' });

    await use('u_usage', 'data-calls', 90);
    expect(await check('u_usage', 'data-calls', 10)).toMatchObject({
      allowed: true,
      reason: 'granted',
      remaining: 10,
    });
    expect(await check('u_usage', 'data-calls', 11)).toMatchObject({
      allowed: true,
      reason: 'overage',
      remaining: 10,
    });

    await use('u_usage', 'watchlists', 5); // a gauge: the service reports how many exist
    expect(await check('u_usage', 'watchlists')).toMatchObject({
      allowed: false,
      reason: 'limit_reached',
      used: 5,
    });
  });

  it('applies staff overrides and grants until they expire, and audits every change', async () => {
    const id = await customer('u_override', 'active');
    await customer('u_grant', null);
    const raised = await putCustomerEntitlement('u_override', 'watchlists', {
      kind: 'override',
      limit: 50,
      expiresAt: '2026-11-20T00:00:00Z',
    });
    expect(raised.statusCode).toBe(200);
    expect(raised.json()).toMatchObject({ customerId: id, kind: 'override', limit: 50, enabled: true });
    expect(await check('u_override', 'watchlists')).toMatchObject({
      allowed: true,
      limit: 50,
      source: 'override',
    });

    const revoked = await putCustomerEntitlement('u_override', 'copy-trading', {
      kind: 'override',
      enabled: false,
    });
    expect(revoked.statusCode).toBe(200);
    expect(await check('u_override', 'copy-trading')).toMatchObject({
      allowed: false,
      reason: 'feature_revoked',
    });

    // A grant gives a feature without any subscription.
    expect(await check('u_grant', 'copy-trading')).toMatchObject({
      allowed: false,
      reason: 'no_subscription',
    });
    await putCustomerEntitlement('u_grant', 'copy-trading', {
      kind: 'grant',
      expiresAt: '2026-11-16T00:00:00Z',
    });
    expect(await check('u_grant', 'copy-trading')).toMatchObject({
      allowed: true,
      reason: 'granted',
      source: 'grant',
    });
    await putCustomerEntitlement('u_grant', 'backtests', { kind: 'grant', limit: 2 });
    expect(await check('u_grant', 'backtests')).toMatchObject({
      allowed: true,
      limit: 2,
      resetsAt: '2026-12-01T00:00:00.000Z', // calendar month without a subscription
    });

    // Time passes: the grant expired on the 16th, the override on the 20th.
    now = new Date('2026-11-17T00:00:00Z');
    expect(await check('u_grant', 'copy-trading')).toMatchObject({
      allowed: false,
      reason: 'no_subscription',
    });
    expect(await check('u_override', 'watchlists')).toMatchObject({ allowed: true, limit: 50 });
    now = new Date('2026-11-21T00:00:00Z');
    expect(await check('u_override', 'watchlists')).toMatchObject({
      allowed: true,
      limit: 5,
      source: 'plan',
    });
    now = new Date('2026-11-15T12:00:00Z');

    const undo = await t.inject({
      method: 'POST',
      url: '/v1/admin/customers/u_override/entitlements/copy-trading/revoke',
      headers: t.as(ADMIN),
      payload: { reason: 'resolved' },
    });
    expect(undo.statusCode).toBe(200);
    expect(await check('u_override', 'copy-trading')).toMatchObject({ allowed: true, source: 'plan' });

    const audit = await t.dataSource.query(
      `SELECT action, before, after FROM platform.audit_log WHERE resource_type = 'customer_entitlement' ORDER BY occurred_at, id`,
    );
    expect(audit.map((row: { action: string }) => row.action)).toEqual([
      'customer_entitlement.overridden',
      'customer_entitlement.overridden',
      'customer_entitlement.granted',
      'customer_entitlement.granted',
      'customer_entitlement.revoked',
    ]);
    expect(audit[4].before).toMatchObject({ featureId: 'copy-trading', revokedAt: null });
    expect(audit[4].after).toMatchObject({ featureId: 'copy-trading', revokedAt: expect.any(String) });
    const planAudit = await t.dataSource.query(
      `SELECT count(*)::int AS n FROM platform.audit_log WHERE resource_type IN ('feature', 'plan_feature')`,
    );
    expect(planAudit[0].n).toBeGreaterThanOrEqual(9);

    const listed = await t.inject({
      method: 'GET',
      url: '/v1/admin/customers/u_override/entitlements',
      headers: t.as({ sub: 's', roles: ['support'] }),
    });
    expect(listed.statusCode).toBe(200);
    expect(listed.json().grants).toHaveLength(2);
    const replaced = await putCustomerEntitlement('u_override', 'watchlists', { kind: 'grant' });
    expect(replaced.statusCode).toBe(200); // replaces the live override
    const support = await t.inject({
      method: 'PUT',
      url: '/v1/admin/customers/u_override/entitlements/watchlists',
      headers: t.as({ sub: 's', roles: ['support'] }),
      payload: { kind: 'grant', reason: 'not allowed' },
    });
    expect(support.statusCode).toBe(403);
    const expired = await putCustomerEntitlement('u_override', 'watchlists', {
      kind: 'grant',
      expiresAt: '2026-11-01T00:00:00Z',
    });
    expect(expired.statusCode).toBe(422);
  });

  it('reflects a plan change as soon as it commits, and a change of what a plan grants', async () => {
    const id = await customer('u_change', 'active');
    expect(await check('u_change', 'copy-trading')).toMatchObject({ allowed: true });
    expect(await check('u_change', 'watchlists')).toMatchObject({ limit: 5 });
    // Downgrade to Basic (as the subscription engine commits it): the very next check knows.
    await t.dataSource.query('UPDATE billing.subscriptions SET product_id = $1 WHERE customer_id = $2', [
      basicId,
      id,
    ]);
    expect(await check('u_change', 'copy-trading')).toMatchObject({
      allowed: false,
      reason: 'feature_not_in_plan',
    });
    expect(await check('u_change', 'watchlists')).toMatchObject({ limit: 1 });
    await t.dataSource.query(`UPDATE billing.subscriptions SET status = 'past_due' WHERE customer_id = $1`, [
      id,
    ]);
    expect(await check('u_change', 'watchlists')).toMatchObject({
      allowed: false,
      reason: 'subscription_past_due',
    });
    await t.dataSource.query(`UPDATE billing.subscriptions SET status = 'active' WHERE customer_id = $1`, [
      id,
    ]);

    // Staff change what Basic grants: cached definitions are replaced at once.
    await grantToPlan(t, basicId, 'watchlists', { limit: 2 });
    expect(await check('u_change', 'watchlists')).toMatchObject({ limit: 2 });
    await grantToPlan(t, basicId, 'copy-trading', {});
    expect(await check('u_change', 'copy-trading')).toMatchObject({ allowed: true });
    const removed = await t.inject({
      method: 'DELETE',
      url: `/v1/admin/plans/${basicId}/features/copy-trading`,
      headers: t.as(ADMIN),
    });
    expect(removed.statusCode).toBe(200);
    expect(await check('u_change', 'copy-trading')).toMatchObject({
      allowed: false,
      reason: 'feature_not_in_plan',
    });
    // Removing archives, never deletes: the grant stays as financial history.
    const [archived] = await t.dataSource.query(
      `SELECT archived_at FROM billing.plan_features WHERE product_id = $1 AND feature_id = 'copy-trading'`,
      [basicId],
    );
    expect(archived.archived_at).toBeInstanceOf(Date);
    // Even when another process made the change: bump the version behind this process's back.
    await t.dataSource.query(
      `UPDATE billing.plan_features SET archived_at = NULL WHERE product_id = $1 AND feature_id = 'copy-trading'`,
      [basicId],
    );
    await t.dataSource.query('UPDATE billing.entitlements_version SET version = version + 1 WHERE id = 1');
    expect(await check('u_change', 'copy-trading')).toMatchObject({ allowed: true });
  });

  it('lists every feature for a service, and for the web app its own', async () => {
    await customer('u_list', 'active');
    const listed = await t.inject({
      method: 'GET',
      url: '/v1/entitlements?customerId=u_list',
      headers: { authorization: `Bearer ${checkKey}` },
    });
    expect(listed.statusCode).toBe(200);
    const byFeature = Object.fromEntries(
      listed
        .json()
        .data.map((answer: { featureId: string; allowed: boolean }) => [answer.featureId, answer.allowed]),
    );
    expect(byFeature).toMatchObject({
      'copy-trading': true,
      watchlists: true,
      backtests: true,
      'data-calls': true,
    });
    const own = await t.inject({ method: 'GET', url: '/v1/entitlements', headers: t.as({ sub: 'u_list' }) });
    expect(own.json().data.length).toBe(listed.json().data.length);
    const other = await t.inject({
      method: 'GET',
      url: '/v1/entitlements?customerId=u_usage',
      headers: t.as({ sub: 'u_list' }),
    });
    expect(other.statusCode).toBe(404);
  });

  it('answers several checks in one request, each as the single check answers, in order', async () => {
    await customer('u_batch_pro', 'active');
    await customer('u_batch_basic', 'active', { productId: basicId });
    await use('u_batch_pro', 'backtests'); // counted: one event
    const items = [
      { customerId: 'u_batch_pro', featureId: 'copy-trading' },
      { customerId: 'u_batch_pro', featureId: 'backtests', quantity: 3 },
      { customerId: 'u_batch_basic', featureId: 'backtests' },
      { customerId: 'u_batch_basic', featureId: 'watchlists' },
      { customerId: 'u_nobody_batch', featureId: 'copy-trading' },
      { customerId: 'u_batch_pro', featureId: 'no-such-feature' },
    ];
    const response = await t.inject({
      method: 'POST',
      url: '/v1/entitlements/check/batch',
      headers: { authorization: `Bearer ${checkKey}` },
      payload: { checks: items },
    });
    expect(response.statusCode).toBe(200);
    const { data } = response.json() as { data: Array<Record<string, unknown>> };
    expect(data).toHaveLength(items.length);
    for (const [index, item] of items.entries()) {
      expect(data[index]).toEqual(await check(item.customerId, item.featureId, item.quantity));
    }
    expect(data[1]).toMatchObject({ allowed: false, reason: 'limit_reached' });
    expect(data[2]).toMatchObject({ allowed: false, reason: 'feature_not_in_plan' });

    const post = (
      payload: unknown,
      headers: Record<string, string> = { authorization: `Bearer ${checkKey}` },
    ) =>
      t.inject({ method: 'POST', url: '/v1/entitlements/check/batch', headers, payload: payload as object });
    const bad = await post({ checks: [items[0], { customerId: 'u_batch_pro', featureId: 'Bad Feature' }] });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toMatchObject({
      code: 'VALIDATION_ERROR',
      details: [{ field: 'checks[1].featureId', message: 'must be a feature id' }],
    });
    expect((await post({ checks: [] })).statusCode).toBe(400);
    expect((await post({ checks: Array.from({ length: 101 }, () => items[0]) })).statusCode).toBe(400);
    expect((await post({ checks: [items[0]], extra: true })).statusCode).toBe(400);
    expect((await post({ checks: [items[0]] }, { authorization: `Bearer ${usageKey}` })).statusCode).toBe(
      403,
    );
    expect((await post({ checks: [items[0]] }, {})).statusCode).toBe(401);
  });

  it('reloads the definitions on the commit notification of a change, before any check asks', async () => {
    const catalog = t.app.get(EntitlementsCatalog);
    await check('u_active', 'copy-trading'); // the copy in memory is current
    const [{ version: before }] = await t.dataSource.query(
      'SELECT version FROM billing.entitlements_version WHERE id = 1',
    );
    expect(catalog.latest()?.version).toBe(String(before));
    // Another process's change (plain SQL): no check runs, the notification alone brings the copy up.
    await t.dataSource.query('UPDATE billing.entitlements_version SET version = version + 1 WHERE id = 1');
    const wanted = String(BigInt(before) + 1n);
    for (let attempt = 0; attempt < 200 && catalog.latest()?.version !== wanted; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect(catalog.latest()?.version).toBe(wanted);
  });

  it('validates the check and its callers', async () => {
    const post = (payload: unknown, headers = { authorization: `Bearer ${checkKey}` }) =>
      t.inject({
        method: 'POST',
        url: '/v1/entitlements/check',
        headers,
        payload: payload as Record<string, unknown>,
      });
    expect((await post({ customerId: 'u_active' })).statusCode).toBe(400);
    expect((await post({ customerId: 'u_active', featureId: 'copy-trading', quantity: -1 })).statusCode).toBe(
      400,
    );
    expect((await post({ customerId: 'u_active', featureId: 'copy-trading', extra: 1 })).statusCode).toBe(
      400,
    );
    expect(
      (
        await post(
          { customerId: 'u_active', featureId: 'copy-trading' },
          { authorization: `Bearer ${usageKey}` },
        )
      ).statusCode,
    ).toBe(403);
    expect(
      (await post({ customerId: 'u_active', featureId: 'copy-trading' }, t.as({ sub: 'u_active' })))
        .statusCode,
    ).toBe(403);
    const anonymous = await t.inject({
      method: 'POST',
      url: '/v1/entitlements/check',
      payload: { customerId: 'u_active', featureId: 'copy-trading' },
    });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json().error).toMatchObject({ code: 'UNAUTHENTICATED', requestId: expect.any(String) });
    const invalid = await post({ customerId: 'u_active', featureId: 'Bad Feature' });
    expect(invalid.json().error).toMatchObject({
      code: 'VALIDATION_ERROR',
      details: [{ field: 'featureId', message: 'must be a feature id' }],
    });
    const staff = await post(
      { customerId: 'u_active', featureId: 'copy-trading' },
      t.as({ sub: 's', roles: ['support'] }),
    );
    expect(staff.json()).toMatchObject({ allowed: true, reason: 'granted' });
    const byHeader = await post({ customerId: 'u_active', featureId: 'copy-trading' }, {
      'x-api-key': checkKey,
    } as never);
    expect(byHeader.statusCode).toBe(200);
    const badPrice = await t.inject({
      method: 'PUT',
      url: `/v1/admin/plans/${proId}/features/data-calls`,
      headers: t.as(ADMIN),
      payload: {
        limit: 100,
        prices: [{ currency: 'USD', model: 'graduated', tiers: [{ upTo: 10, unitAmount: 1 }] }],
      },
    });
    expect(badPrice.statusCode).toBe(422);
    expect(badPrice.json().error.message).toMatch(/last tier must be unbounded/);
  });
});
