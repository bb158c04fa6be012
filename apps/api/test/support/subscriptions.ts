import type { BillingRunView } from '@astrix/contracts';
import { BillingRuns } from '../../src/modules/billing/subscriptions/billing-runs.service';
import { Clock } from '../../src/platform/clock';
import { BillingTestApp, startBillingTestApp } from './billing';
import { eventually, type TestAppOptions } from './test-app';

const SYSTEM = { actor: { kind: 'system', name: 'test' }, requestId: null } as const;
const ADMIN = { sub: 'staff_subscription_admin', roles: ['admin'] };

export interface SubscriptionInvoiceRow {
  id: string;
  status: string;
  billing_reason: string;
  subtotal: string;
  discount: string;
  total: string;
  amount_paid: string;
  amount_due: string;
  credit_applied: string;
  period_start: Date;
  period_end: Date;
}

/** The billing app on a clock the test moves, with the steps subscription tests share. */
export interface SubscriptionTestApp extends BillingTestApp {
  setNow(iso: string): void;
  /** Headers of a trader (with an email, as checkout needs). */
  trader(sub: string): Record<string, string>;
  /** A subscription plan in the catalog, created by an admin; returns its product id. */
  createPlan(input: {
    name: string;
    unitAmount: number;
    interval: 'month' | 'year';
    trialDays?: number;
  }): Promise<string>;
  /** A coupon created by an admin (USD amounts); returns it as created. */
  createCoupon(payload: Record<string, unknown>): Promise<{ id: string; code: string }>;
  /** Saves a card through a setup intent (the sandbox confirms test tokens at once). */
  addCard(sub: string, token?: string): Promise<Record<string, unknown>>;
  subscribe(sub: string, payload: Record<string, unknown>): ReturnType<BillingTestApp['inject']>;
  /** Runs a billing run to the end at the clock's time, as the scheduled job would. */
  runBilling(): Promise<BillingRunView>;
  /** Moves the clock, then runs the billing run. */
  runBillingAt(iso: string): Promise<BillingRunView>;
  invoicesOf(subscriptionId: string): Promise<SubscriptionInvoiceRow[]>;
  /** The subscription's invoices once `count` exist and all are paid (collection runs as jobs). */
  paidInvoicesOf(subscriptionId: string, count: number): Promise<SubscriptionInvoiceRow[]>;
}

export async function startSubscriptionTestApp(
  startsAt: string,
  options: TestAppOptions = {},
): Promise<SubscriptionTestApp> {
  const t = await startBillingTestApp(options);
  let now = new Date(startsAt);
  jest.spyOn(t.app.get(Clock), 'now').mockImplementation(() => new Date(now.getTime()));
  const runBilling = async (): Promise<BillingRunView> => {
    const runs = t.app.get(BillingRuns);
    return runs.execute((await runs.create('manual', SYSTEM, now)).id);
  };
  const trader = (sub: string) => t.as({ sub, email: `${sub}@example.com` });
  const invoicesOf = (subscriptionId: string): Promise<SubscriptionInvoiceRow[]> =>
    t.dataSource.query(
      `SELECT id, status, billing_reason, subtotal, discount, total, amount_paid, amount_due, credit_applied,
              period_start, period_end
         FROM billing.invoices WHERE subscription_id = $1 ORDER BY issued_at, number`,
      [subscriptionId],
    );
  return {
    ...t,
    setNow: (iso) => {
      now = new Date(iso);
    },
    trader,
    createPlan: async ({ name, unitAmount, interval, trialDays = 0 }) => {
      const response = await t.inject({
        method: 'POST',
        url: '/v1/admin/products',
        headers: t.as(ADMIN),
        payload: {
          kind: 'subscription',
          name,
          attributes: { trialDays },
          prices: [{ currency: 'USD', unitAmount, recurring: { interval } }],
        },
      });
      expect(response.statusCode).toBe(201);
      return response.json().id;
    },
    createCoupon: async (payload) => {
      const response = await t.inject({
        method: 'POST',
        url: '/v1/admin/coupons',
        headers: t.as(ADMIN),
        payload,
      });
      expect(response.statusCode).toBe(201);
      return response.json();
    },
    addCard: async (sub, token = 'pm_card_visa') => {
      const response = await t.inject({
        method: 'POST',
        url: '/v1/billing/payment-methods/setup-intent',
        headers: trader(sub),
        payload: { paymentMethodId: token },
      });
      expect(response.statusCode).toBe(201);
      return response.json();
    },
    subscribe: (sub, payload) =>
      t.inject({ method: 'POST', url: '/v1/billing/subscriptions', headers: trader(sub), payload }),
    runBilling,
    runBillingAt: (iso) => {
      now = new Date(iso);
      return runBilling();
    },
    invoicesOf,
    paidInvoicesOf: (subscriptionId, count) =>
      eventually(async () => {
        const rows = await invoicesOf(subscriptionId);
        return rows.length === count && rows.every((row) => row.status === 'paid') ? rows : undefined;
      }),
  };
}
