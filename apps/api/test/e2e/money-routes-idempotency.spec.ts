import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { REQUIRES_IDEMPOTENCY_KEY } from '../../src/platform/idempotency/requires-idempotency-key.decorator';
import { BillingTestApp, purchase, startBillingTestApp } from '../support/billing';
import type { TestApp } from '../support/test-app';
import { expectBooksClean } from '../support/books';

/**
 * Every POST that moves money, which must refuse to run without an `Idempotency-Key` so a
 * double-click or a client retry cannot move it twice.
 */
const MONEY_MOVING = [
  'POST /v1/admin/charges/:id/refunds',
  'POST /v1/admin/customers/:id/balance-credits',
  'POST /v1/admin/invoices/:id/credit-notes',
  'POST /v1/admin/invoices/:id/retry-payment',
  'POST /v1/admin/payouts/:id/approve',
  'POST /v1/admin/payouts/:id/mark-paid',
  'POST /v1/admin/payouts/:id/retry',
  'POST /v1/admin/payout-tasks/:id/retry',
  'POST /v1/payouts',
  'POST /v1/admin/reconciliations',
  'POST /v1/admin/invoices/:id/regenerate',
  'POST /v1/admin/subscriptions/:id/resume',
  // Sandbox only: a retry that moved the clock twice would bill and dun days too far ahead.
  'POST /v1/admin/sandbox/clock/advance',
];

/**
 * Every other POST, with why it does not need a key (it still honours one when sent). A new POST
 * route must be added to one list or the other: deciding is the point of this walk.
 */
const NOT_MONEY_MOVING: Record<string, string> = {
  'POST /v1/auth/dev-token':
    'mints a sandbox sign-in token for the console (404 without the sandbox/dev opt-in); moves no money',
  'POST /v1/billing/checkout-sessions':
    'opens a payment page; money moves only when the trader pays it, and an unpaid duplicate expires unpaid (a reset is refused while one is being paid)',
  'POST /v1/billing/checkout-sessions/:id/cancel':
    'closes an unpaid payment page and releases its coupon; a repeat finds it expired and changes nothing',
  'POST /v1/billing/subscriptions':
    'charges the first period, but a second live subscription to the same plan is refused (409), so a repeat cannot charge twice',
  'POST /v1/billing/subscriptions/:id/change-plan':
    'the target plan and seats are absolute: repeating the same change is refused as already on that plan (409)',
  'POST /v1/billing/subscriptions/:id/resume': 'only a paused subscription resumes; a repeat is a 409',
  'POST /v1/billing/subscriptions/:id/cancel':
    'a state change; a prorated credit is issued once per cancellation',
  'POST /v1/billing/subscriptions/:id/reactivate':
    'a canceled subscription comes back (and its new period is charged) once: a repeat finds it active, a 409',
  'POST /v1/billing/subscriptions/:id/pause': 'a state change',
  'POST /v1/billing/payment-methods/setup-intent': 'saves a card, charges nothing',
  'POST /v1/billing/stream-tokens':
    'mints a 60-second token that opens the live stream; moves no money (a replayed key is 409, the token is shown once)',
  'POST /v1/billing/payment-methods/:id/default':
    'sets the default card; collection of unpaid invoices is guarded per invoice attempt, not by the request',
  'POST /v1/billing/portal-sessions': 'a link to the processor portal',
  'POST /v1/billing/coupons/validate': 'a read',
  'POST /v1/admin/subscriptions/:id/cancel': 'a state change, no credit',
  'POST /v1/admin/subscriptions/:id/pause':
    'a state change (audited with its reason); a repeat is a 409; nothing is invoiced until resume, which takes a key',
  'POST /v1/admin/subscriptions/:id/trial': 'moves a trial end (audited); charges nothing itself',
  'POST /v1/admin/billing-runs': 'a billing run invoices each period once, whoever starts it',
  'POST /v1/admin/invoices/:id/resend-receipt': 'sends an email',
  'POST /v1/admin/invoices/:id/mark-uncollectible': 'a state change of an open invoice; a repeat is a 409',
  'POST /v1/admin/invoices/:id/void': 'a state change of an unpaid invoice; a repeat is a 409',
  'POST /v1/admin/invoices/:id/dunning/pause': 'a state change',
  'POST /v1/admin/invoices/:id/dunning/resume': 'a state change',
  'POST /v1/admin/payouts/:id/reject': 'releases a reservation; moves nothing',
  'POST /v1/payouts/:id/cancel': 'releases a reservation; moves nothing',
  'POST /v1/admin/payout-tasks/:id/resolve': 'closes a finance task by hand with a note; moves nothing',
  'POST /v1/admin/reconciliations/exceptions/:id/resolve':
    'closes a reconciliation exception (a finance task) with a note; moves nothing; a repeat is a 409',
  'POST /v1/payouts/balance-snapshots': 'a fact from the trading platform; the newest wins',
  'POST /v1/payouts/kyc-statuses': 'a fact from the identity service; the newest wins',
  'POST /v1/admin/products': 'catalog',
  'POST /v1/admin/products/:id/archive': 'catalog',
  'POST /v1/admin/coupons': 'catalog',
  'POST /v1/admin/coupons/:id/archive': 'catalog',
  'POST /v1/admin/features': 'catalog',
  'POST /v1/admin/customers/:customerId/entitlements/:featureId/revoke': 'entitlements',
  'POST /v1/admin/usage-alerts': 'configuration',
  'POST /v1/admin/tax-rates': 'tax configuration (audited); an overlapping repeat is a 409',
  'POST /v1/admin/tax-rates/:id/end': 'ends a tax rate (audited); a repeat is a 409',
  'POST /v1/admin/fx-rates/import': 'FX rates upserted per day and pair: a repeat writes the same rates',
  'POST /v1/usage/events': 'usage events are de-duplicated by their own idempotency key',
  'POST /v1/entitlements/check': 'a read',
  'POST /v1/entitlements/check/batch': 'reads (several checks)',
  'POST /v1/admin/fraud-signals/:id/confirm': 'fraud review',
  'POST /v1/admin/fraud-signals/:id/dismiss': 'fraud review',
  'POST /v1/admin/customers/:id/block': 'fraud review',
  'POST /v1/admin/customers/:id/unblock': 'fraud review',
  'POST /v1/admin/accounts/holds': 'account state',
  'POST /v1/admin/accounts/:id/release-hold': 'account state',
  'POST /v1/admin/accounts/:id/suspend': 'account state',
  'POST /v1/admin/accounts/:id/reinstate': 'account state',
  'POST /v1/accounts/:id/events': 'trading platform events, idempotent by their event id',
  'POST /v1/admin/stripe-events/:id/replay': 'a Stripe event acts once per event id',
  'POST /v1/admin/queues/:queue/jobs/:jobId/retry': 'jobs take deterministic ids and act once',
  'POST /v1/admin/queues/:queue/jobs/:jobId/discard': 'removes a job',
  'POST /v1/admin/webhook-endpoints': 'outbound webhook configuration',
  'POST /v1/admin/webhook-endpoints/:id/disable': 'outbound webhook configuration',
  'POST /v1/admin/webhook-endpoints/:id/enable': 'outbound webhook configuration',
  'POST /v1/admin/webhook-endpoints/:id/rotate-secret': 'outbound webhook configuration',
  'POST /v1/admin/webhook-endpoints/:id/deliveries/:deliveryId/retry': 'redelivers an event notice',
  'POST /v1/admin/webhook-endpoints/:id/replay': 'redelivers event notices',
  'POST /v1/admin/api-keys': 'credentials',
  'POST /v1/admin/api-keys/:id/revoke': 'credentials',
  'POST /webhooks/stripe': 'public and signed; de-duplicated by the Stripe event id',
};

interface Route {
  route: string;
  requiresKey: boolean;
}

/** Every route of the real app, with whether it declares @RequiresIdempotencyKey(). */
function collectRoutes(t: TestApp): Route[] {
  const discovery = t.app.get(DiscoveryService);
  const scanner = t.app.get(MetadataScanner);
  return discovery.getControllers().flatMap((wrapper) => {
    const controller = wrapper.metatype as (new (...args: never[]) => unknown) | undefined;
    if (!controller) return [];
    const base = String(Reflect.getMetadata(PATH_METADATA, controller) ?? '');
    return scanner.getAllMethodNames(controller.prototype).flatMap((name) => {
      const handler = (controller.prototype as Record<string, unknown>)[name] as object;
      const path = Reflect.getMetadata(PATH_METADATA, handler) as string | undefined;
      if (path === undefined) return [];
      const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod];
      const fullPath = `/${[base, path].filter((part) => part && part !== '/').join('/')}`;
      return [
        {
          route: `${method} ${fullPath}`,
          requiresKey: Reflect.getMetadata(REQUIRES_IDEMPOTENCY_KEY, handler) === true,
        },
      ];
    });
  });
}

const PLACEHOLDER_ID = 'key_01jzzzzzzzzzzzzzzzzzzzzzzz';
const staff = { sub: 'staff_walker', roles: ['support', 'finance'] };
const trader = { sub: 'user_walker', email: 'walker@example.com' };

describe('money-moving POSTs require an Idempotency-Key', () => {
  let t: BillingTestApp;
  beforeAll(async () => {
    t = await startBillingTestApp();
  });
  afterAll(() => t.close());

  it('has every POST route classified as money-moving or not, with a reason', () => {
    const posts = collectRoutes(t)
      .map((route) => route.route)
      .filter((route) => route.startsWith('POST '));
    const unclassified = posts.filter(
      (route) => !MONEY_MOVING.includes(route) && !(route in NOT_MONEY_MOVING),
    );
    expect(unclassified).toEqual([]);
    // And every money-moving route still exists (a rename must update this list).
    expect(MONEY_MOVING.filter((route) => !posts.includes(route))).toEqual([]);
  });

  it('marks exactly the money-moving routes with @RequiresIdempotencyKey()', () => {
    const routes = collectRoutes(t);
    const lacking = routes.filter((route) => MONEY_MOVING.includes(route.route) && !route.requiresKey);
    expect(lacking.map((route) => route.route)).toEqual([]);
    const marked = routes.filter((route) => route.requiresKey).map((route) => route.route);
    expect(marked.sort()).toEqual([...MONEY_MOVING].sort());
  });

  it('answers every money-moving route without the header with 400 IDEMPOTENCY_KEY_REQUIRED, naming the header', async () => {
    for (const route of MONEY_MOVING) {
      const [method, path] = route.split(' ');
      const url = path.replace(/:(\w+)/g, PLACEHOLDER_ID);
      // The sandbox clock is for admins only.
      const who = url.startsWith('/v1/admin/sandbox')
        ? { ...staff, roles: ['admin'] }
        : url.startsWith('/v1/admin')
          ? staff
          : trader;
      const response = await t.inject({ method: method as 'POST', url, headers: t.as(who), payload: {} });
      expect({ route, status: response.statusCode, code: response.json().error?.code }).toEqual({
        route,
        status: 400,
        code: 'IDEMPOTENCY_KEY_REQUIRED',
      });
      expect(response.json().error.message).toContain('Idempotency-Key');
      expect(response.json().error.requestId).toEqual(expect.any(String));

      // With a key the same request gets past the check (and fails on its made-up id or body instead).
      const keyed = await t.inject({
        method: method as 'POST',
        url,
        headers: { ...t.as(who), 'idempotency-key': `walk-${route}` },
        payload: {},
      });
      expect({ route, code: keyed.json().error?.code }).not.toEqual({
        route,
        code: 'IDEMPOTENCY_KEY_REQUIRED',
      });
    }
  });

  it('documents the header as required on every money-moving route in the OpenAPI document', async () => {
    const document = (await t.inject({ method: 'GET', url: '/docs/openapi.json' })).json();
    for (const route of MONEY_MOVING) {
      const path = route.split(' ')[1].replace(/:(\w+)/g, '{$1}');
      const parameters = (document.paths[path]?.post?.parameters ?? []) as Array<Record<string, unknown>>;
      expect({ route, header: parameters.find((parameter) => parameter.in === 'header') }).toEqual({
        route,
        header: expect.objectContaining({ name: 'Idempotency-Key', required: true }),
      });
    }
  });

  describe('refunds', () => {
    const finance = { sub: 'staff_finance_idem', roles: ['finance'] };
    const buyer = { sub: 'user_double_click', email: 'double.click@example.com' };

    const ourRefunds = async (chargeId: string): Promise<number> => {
      const [row] = await t.dataSource.query(
        'SELECT count(*)::int AS n FROM billing.refunds WHERE charge_id = $1',
        [chargeId],
      );
      return row.n as number;
    };
    const stripeRefunds = (stripeChargeId: string): number =>
      t.fake.state.refunds.all().filter((refund) => refund.charge === stripeChargeId).length;

    it('refuses a refund without an Idempotency-Key (400) and records no refund, here or at Stripe', async () => {
      const { charge } = await purchase(t, buyer, 'evaluation-25k');
      const response = await t.inject({
        method: 'POST',
        url: `/v1/admin/charges/${charge.id as string}/refunds`,
        headers: t.as(finance),
        payload: { amount: 1000, reason: 'requested_by_customer: no key' },
      });
      expect(response.statusCode).toBe(400);
      expect(response.json().error).toMatchObject({
        code: 'IDEMPOTENCY_KEY_REQUIRED',
        details: [{ field: 'Idempotency-Key', message: 'is required' }],
      });
      expect(await ourRefunds(charge.id as string)).toBe(0);
      expect(stripeRefunds(charge.stripe_charge_id as string)).toBe(0);
      const [after] = await t.dataSource.query('SELECT amount_refunded FROM billing.charges WHERE id = $1', [
        charge.id,
      ]);
      expect(Number(after.amount_refunded)).toBe(0);
    });

    it('double-clicked refund: two identical POSTs racing with the same key refund once', async () => {
      const { charge } = await purchase(t, buyer, 'evaluation-25k');
      const click = () =>
        t.inject({
          method: 'POST',
          url: `/v1/admin/charges/${charge.id as string}/refunds`,
          headers: { ...t.as(finance), 'idempotency-key': `refund-click-${charge.id as string}` },
          payload: { amount: 1500, reason: 'requested_by_customer: double click' },
        });
      const responses = await Promise.all([click(), click()]);
      const statuses = responses.map((response) => response.statusCode).sort();
      // The loser is either told the first is still running (409) or gets the first's answer replayed.
      expect([
        [201, 201],
        [201, 409],
      ]).toContainEqual(statuses);
      const created = responses.filter((response) => response.statusCode === 201);
      expect(new Set(created.map((response) => response.json().id)).size).toBe(1);
      // A click after both finished gets the same refund back, not a new one.
      const late = await click();
      expect(late.statusCode).toBe(201);
      expect(late.json().id).toBe(created[0].json().id);
      expect(late.headers['idempotent-replayed']).toBe('true');

      expect(await ourRefunds(charge.id as string)).toBe(1);
      expect(stripeRefunds(charge.stripe_charge_id as string)).toBe(1);
      await t.fake.flushWebhooks();
      const view = await t.inject({
        method: 'GET',
        url: `/v1/admin/charges/${charge.id as string}`,
        headers: t.as(finance),
      });
      expect(view.json().amountRefunded.amount).toBe(1500);
    });
  });

  it('leaves the books clean', async () => {
    await expectBooksClean(t.app);
  });
});
