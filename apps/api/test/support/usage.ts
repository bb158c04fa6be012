import { newId } from '../../src/platform/ids';
import { MetricsRegistry } from '../../src/platform/metrics/metrics-registry';
import type { TestApp } from './test-app';

export const ADMIN = { sub: 'staff_admin', roles: ['admin'] };

/** A billing customer as checkout would have created it. */
export async function insertCustomer(t: TestApp, userId: string, fraudStatus = 'clear'): Promise<string> {
  const id = newId('cust');
  await t.dataSource.query(
    `INSERT INTO billing.customers (id, user_id, email, fraud_status, created_at) VALUES ($1, $2, $3, $4, now())`,
    [id, userId, `${userId}@example.com`, fraudStatus],
  );
  return id;
}

/** A subscription row on a plan, in a status and period of our choosing (the engine is tested elsewhere). */
export async function insertSubscription(
  t: TestApp,
  input: { customerId: string; userId: string; productId: string; status: string; start: Date; end: Date },
): Promise<string> {
  const id = newId('sub');
  const [price] = await t.dataSource.query(
    `SELECT id, unit_amount FROM billing.prices WHERE product_id = $1 AND currency = 'USD' AND active`,
    [input.productId],
  );
  await t.dataSource.query(
    `INSERT INTO billing.subscriptions (id, customer_id, user_id, product_id, price_id, currency, unit_amount, quantity,
       status, interval, interval_count, billing_anchor, current_period_start, current_period_end, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, 'USD', $6, 1, $7, 'month', 1, $8, $8, $9, now(), now())`,
    [
      id,
      input.customerId,
      input.userId,
      input.productId,
      price.id,
      price.unit_amount,
      input.status,
      input.start,
      input.end,
    ],
  );
  return id;
}

/** A customer with an active subscription to the plan for November 2026 (the entitlement specs' clock). */
export async function insertNovemberSubscriber(
  t: TestApp,
  userId: string,
  productId: string,
): Promise<{ customerId: string; subscriptionId: string }> {
  const customerId = await insertCustomer(t, userId);
  const subscriptionId = await insertSubscription(t, {
    customerId,
    userId,
    productId,
    status: 'active',
    start: new Date('2026-11-01T00:00:00Z'),
    end: new Date('2026-12-01T00:00:00Z'),
  });
  return { customerId, subscriptionId };
}

/** Entitlement checks answered so far, from memory and from Postgres (astrix_entitlement_checks_total). */
export async function entitlementChecksAnswered(t: TestApp): Promise<{ memory: number; database: number }> {
  const metric = t.app.get(MetricsRegistry).registry.getSingleMetric('astrix_entitlement_checks_total');
  const { values } = await metric!.get();
  const count = (source: string) => values.find((value) => value.labels.source === source)?.value ?? 0;
  return { memory: count('memory'), database: count('database') };
}

export async function createFeature(t: TestApp, body: Record<string, unknown>): Promise<void> {
  const response = await t.inject({
    method: 'POST',
    url: '/v1/admin/features',
    headers: t.as(ADMIN),
    payload: body,
  });
  if (response.statusCode !== 201) throw new Error(`feature not created: ${response.body}`);
}

export async function grantToPlan(
  t: TestApp,
  productId: string,
  featureId: string,
  body: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const response = await t.inject({
    method: 'PUT',
    url: `/v1/admin/plans/${productId}/features/${featureId}`,
    headers: t.as(ADMIN),
    payload: body,
  });
  if (response.statusCode !== 200) throw new Error(`plan grant failed: ${response.body}`);
  return response.json();
}
