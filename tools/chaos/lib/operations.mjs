// What users do, through the public HTTP API only (and the sandbox Stripe's hosted-page and
// bank controls, which stand in for the customer's browser and the card networks). Targets are
// picked from what exists (read from the database, read only). Every acknowledged write is recorded
// so the invariants can check it afterwards.
import { randomUUID } from 'node:crypto';

const CARDS = [
  ['4242424242424242', 40],
  ['4000000000000002', 8],
  ['4000000000009995', 5],
  ['4000000000003220', 14],
  ['4000000000000259', 6],
  ['4000000000005423', 6],
  ['4000000000009235', 6],
  ['4100000000000019', 3],
  ['async_success', 6],
  ['async_fail', 4],
];

/** A seeded PRNG (mulberry32): the same seed gives the same sequence of choices. */
export class Random {
  constructor(seed) {
    this.state = seed >>> 0;
  }
  next() {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n) {
    return Math.floor(this.next() * n);
  }
  chance(p) {
    return this.next() < p;
  }
  pick(items) {
    return items[this.int(items.length)];
  }
  weighted(pairs) {
    const total = pairs.reduce((sum, [, weight]) => sum + weight, 0);
    let roll = this.next() * total;
    for (const [value, weight] of pairs) {
      roll -= weight;
      if (roll < 0) return value;
    }
    return pairs[pairs.length - 1][0];
  }
}

export const OPERATION_WEIGHTS = [
  ['buy', 22],
  ['reset', 4],
  ['outcome', 10],
  ['subscribe', 7],
  ['subscription_change', 7],
  ['usage', 16],
  ['entitlement', 5],
  ['refund', 5],
  ['credit_note', 2],
  ['balance_credit', 2],
  ['void_invoice', 1],
  ['retry_invoice', 1],
  ['dispute', 2],
  ['close_dispute', 1],
  ['early_fraud_warning', 2],
  ['billing_run', 2],
  ['payout', 4],
  ['reads', 7],
];

/**
 * @param {{ client: import('./client.mjs').HttpClient, fakeUrl: string, db: { rows: (sql: string, params?: unknown[]) => Promise<any[]> },
 *   tokens: { trader: (sub: string) => string, admin: string, finance: string, finance2: string }, serviceKey: string,
 *   products: Record<string, string>, traders: string[] }} world
 */
export function createOperations(world) {
  const { client, db, tokens, products } = world;
  const acknowledged = { purchases: [], usage: [], refunds: [], payouts: [], outcomes: 0 };

  const fake = async (path, body) => {
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        const response = await fetch(`${world.fakeUrl}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body ?? {}),
          signal: AbortSignal.timeout(15_000),
        });
        return { status: response.status, body: await response.json().catch(() => null) };
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
    return { status: 0, body: null };
  };
  const one = async (sql, params) => (await db.rows(sql, params))[0];
  const anyTrader = (rng) => rng.pick(world.traders);

  /** The checkout: open a session, pay on the hosted page (3-D Secure, a retry with another card). */
  async function checkout(rng, user, productId, extra = {}, { card: fixedCard, abandon = true } = {}) {
    const session = await client.call('POST', '/v1/billing/checkout-sessions', {
      token: tokens.trader(user),
      body: { productId, currency: 'USD', ...extra },
    });
    if (session.status !== 201)
      return { step: 'session', status: session.status, code: session.body?.error?.code };
    const stripeSession = /\/pay\/([^/?]+)/.exec(session.body.url ?? '')?.[1];
    if (!stripeSession) return { step: 'session', status: session.status, error: 'no payment page url' };
    if (abandon && rng.chance(0.04)) {
      const cancel = await client.call('POST', `/v1/billing/checkout-sessions/${session.body.id}/cancel`, {
        token: tokens.trader(user),
      });
      return { session: session.body.id, abandoned: cancel.status };
    }
    const card = fixedCard ?? rng.weighted(CARDS);
    let paid = await fake(`/sandbox/checkout-sessions/${stripeSession}/pay`, { card });
    let outcome = paid.body?.outcome ?? `http_${paid.status}`;
    if (outcome === 'requires_action') {
      const intent = paid.body?.paymentIntent?.id;
      const succeeded = rng.chance(0.85);
      const authenticated = await fake(`/sandbox/intents/${intent}/authenticate`, { succeeded });
      outcome = authenticated.body?.succeeded ? 'completed' : '3ds_failed';
    }
    if ((outcome === 'declined' || outcome === '3ds_failed') && rng.chance(0.5)) {
      paid = await fake(`/sandbox/checkout-sessions/${stripeSession}/pay`, { card: '4242424242424242' });
      outcome = `retried:${paid.body?.outcome ?? `http_${paid.status}`}`;
    }
    const completed = outcome === 'completed' || outcome === 'retried:completed';
    // A session is paid when the card succeeded now, or (async cards) once the bank settles: the
    // fake's events decide; the invariant reads the fake's session, not this guess.
    acknowledged.purchases.push({ session: session.body.id, stripeSession, user, card, outcome, completed });
    return { session: session.body.id, card, outcome };
  }

  const operations = {
    /** A plain purchase that pays: the Redis outage probe's "a purchase is not lost". */
    async buyPlain(rng, user = anyTrader(rng)) {
      return {
        user,
        slug: 'evaluation-25k',
        ...(await checkout(
          rng,
          user,
          products['evaluation-25k'],
          {},
          { card: '4242424242424242', abandon: false },
        )),
      };
    },

    async buy(rng) {
      const user = anyTrader(rng);
      const slug = rng.weighted([
        ['evaluation-25k', 5],
        ['evaluation-50k', 3],
        ['instant-funded-25k', 2],
      ]);
      return { user, slug, ...(await checkout(rng, user, products[slug])) };
    },

    async reset(rng) {
      const account = await one(
        `SELECT id, user_id, size FROM accounts.accounts WHERE kind = 'evaluation' AND status IN ('failed', 'breached')
         ORDER BY random() LIMIT 1`,
      );
      if (!account) return { skipped: 'no failed evaluation' };
      const slug = `reset-${account.size / 1000}k`;
      if (!products[slug]) return { skipped: `no product ${slug}` };
      return {
        account: account.id,
        ...(await checkout(rng, account.user_id, products[slug], { accountId: account.id })),
      };
    },

    async outcome(rng) {
      const account = await one(
        `SELECT id, kind, status FROM accounts.accounts WHERE status IN ('active', 'passed', 'funded') ORDER BY random() LIMIT 1`,
      );
      if (!account) return { skipped: 'no live account' };
      const type =
        account.status === 'funded'
          ? rng.weighted([
              ['closed', 1],
              ['funded', 3],
            ])
          : account.status === 'passed'
            ? rng.weighted([
                ['funded', 4],
                ['closed', 1],
              ])
            : rng.weighted([
                ['failed', 4],
                ['breached', 2],
                ['passed', 4],
                ['closed', 1],
              ]);
      const answer = await client.call('POST', `/v1/accounts/${account.id}/events`, {
        apiKey: world.serviceKey,
        body: {
          eventId: `evt_chaos_${randomUUID()}`,
          type,
          occurredAt: new Date().toISOString(),
          reason: 'chaos',
        },
      });
      if (answer.status < 300) acknowledged.outcomes++;
      return {
        account: account.id,
        from: account.status,
        type,
        status: answer.status,
        code: answer.body?.error?.code,
      };
    },

    async subscribe(rng) {
      const user = anyTrader(rng);
      const card = await client.call('POST', '/v1/billing/payment-methods/setup-intent', {
        token: tokens.trader(user),
        body: { paymentMethodId: 'pm_card_visa' },
      });
      const plan = rng.pick(['pro-monthly', 'elite-monthly']);
      const answer = await client.call('POST', '/v1/billing/subscriptions', {
        token: tokens.trader(user),
        body: { productId: products[plan], currency: 'USD', trialDays: 0 },
      });
      return {
        user,
        plan,
        card: card.status,
        status: answer.status,
        code: answer.body?.error?.code,
        id: answer.body?.id,
      };
    },

    async subscription_change(rng) {
      const sub = await one(
        `SELECT id, user_id, status, product_id, cancel_at_period_end FROM billing.subscriptions ORDER BY random() LIMIT 1`,
      );
      if (!sub) return { skipped: 'no subscription' };
      const action = rng.weighted([
        ['change-plan', 3],
        ['pause', 2],
        ['resume', 2],
        ['cancel', 2],
        ['cancel-now', 1],
        ['reactivate', 1],
      ]);
      const other =
        sub.product_id === products['pro-monthly'] ? products['elite-monthly'] : products['pro-monthly'];
      const body =
        action === 'change-plan'
          ? { productId: other, when: rng.pick(['now', 'period_end']) }
          : action === 'cancel'
            ? { atPeriodEnd: true }
            : action === 'cancel-now'
              ? { atPeriodEnd: false, prorate: rng.chance(0.5) }
              : {};
      const path = action === 'cancel-now' ? 'cancel' : action;
      const answer = await client.call('POST', `/v1/billing/subscriptions/${sub.id}/${path}`, {
        token: tokens.trader(sub.user_id),
        body,
      });
      return {
        subscription: sub.id,
        was: sub.status,
        action,
        status: answer.status,
        code: answer.body?.error?.code,
      };
    },

    async usage(rng) {
      const sub = await one(
        `SELECT user_id FROM billing.subscriptions WHERE status IN ('active', 'trialing', 'past_due') ORDER BY random() LIMIT 1`,
      );
      const user = sub?.user_id ?? anyTrader(rng);
      const batch = rng.chance(0.2);
      const events = Array.from({ length: batch ? 2 + rng.int(8) : 1 }, () => ({
        customerId: user,
        featureId: 'market-data-api-calls',
        quantity: 1 + rng.int(400),
        // The trading platform reports usage as it happens: on the sandbox clock's day.
        timestamp: (world.now?.() ?? new Date()).toISOString(),
        idempotencyKey: `use_${randomUUID()}`,
      }));
      const answer = await client.call('POST', '/v1/usage/events', {
        apiKey: world.serviceKey,
        body: batch ? { events } : events[0],
      });
      const results = batch ? (answer.body?.results ?? []) : [answer.body];
      events.forEach((event, index) => {
        const result = results[index];
        const stored = batch
          ? answer.status === 200 && ['created', 'duplicate', 'accepted', 'stored'].includes(result?.status)
          : answer.status === 201 || answer.status === 200;
        if (stored) acknowledged.usage.push({ user, key: event.idempotencyKey, quantity: event.quantity });
      });
      // A client that lost the answer sends the same event again: stored once.
      if (!batch && rng.chance(0.1)) {
        await client.call('POST', '/v1/usage/events', { apiKey: world.serviceKey, body: events[0] });
      }
      return {
        user,
        events: events.length,
        status: answer.status,
        results: batch ? results.map((r) => r?.status) : undefined,
      };
    },

    async entitlement(rng) {
      const answer = await client.call('POST', '/v1/entitlements/check', {
        apiKey: world.serviceKey,
        body: {
          customerId: anyTrader(rng),
          featureId: rng.pick(['market-data-api-calls', 'advanced-analytics']),
        },
      });
      return { status: answer.status, allowed: answer.body?.allowed, reason: answer.body?.reason };
    },

    async refund(rng) {
      const charge = await one(
        `SELECT id, amount - amount_refunded AS left FROM billing.charges
          WHERE status IN ('succeeded', 'partially_refunded') AND amount > amount_refunded ORDER BY random() LIMIT 1`,
      );
      if (!charge) return { skipped: 'no refundable charge' };
      const amount = rng.chance(0.5)
        ? undefined
        : Math.max(1, Math.floor(Number(charge.left) / (2 + rng.int(3))));
      const answer = await client.call('POST', `/v1/admin/charges/${charge.id}/refunds`, {
        token: tokens.finance,
        body: { reason: 'requested_by_customer: chaos', ...(amount ? { amount } : {}) },
      });
      if (answer.status === 201 || answer.status === 200 || answer.status === 202) {
        acknowledged.refunds.push({ charge: charge.id, id: answer.body?.id, amount: answer.body?.amount });
      }
      return {
        charge: charge.id,
        amount,
        status: answer.status,
        code: answer.body?.error?.code,
        id: answer.body?.id,
      };
    },

    async credit_note(rng) {
      const invoice = await one(
        `SELECT id, total FROM billing.invoices WHERE status = 'paid' AND total > 0 ORDER BY random() LIMIT 1`,
      );
      if (!invoice) return { skipped: 'no paid invoice' };
      const answer = await client.call('POST', `/v1/admin/invoices/${invoice.id}/credit-notes`, {
        token: tokens.finance,
        body: {
          amount: 1 + rng.int(Math.max(1, Math.floor(Number(invoice.total) / 4))),
          reason: 'goodwill: chaos',
        },
      });
      return { invoice: invoice.id, status: answer.status, code: answer.body?.error?.code };
    },

    async balance_credit(rng) {
      const customer = await one(`SELECT id FROM billing.customers ORDER BY random() LIMIT 1`);
      if (!customer) return { skipped: 'no customer' };
      const answer = await client.call('POST', `/v1/admin/customers/${customer.id}/balance-credits`, {
        token: tokens.finance,
        body: { amount: 100 + rng.int(900), currency: 'USD', reason: 'goodwill: chaos' },
      });
      return { customer: customer.id, status: answer.status, code: answer.body?.error?.code };
    },

    async void_invoice() {
      const invoice = await one(
        `SELECT id FROM billing.invoices WHERE status = 'open' ORDER BY random() LIMIT 1`,
      );
      if (!invoice) return { skipped: 'no open invoice' };
      const answer = await client.call('POST', `/v1/admin/invoices/${invoice.id}/void`, {
        token: tokens.finance,
        body: { reason: 'chaos: void' },
      });
      return { invoice: invoice.id, status: answer.status, code: answer.body?.error?.code };
    },

    async retry_invoice() {
      const invoice = await one(
        `SELECT id FROM billing.invoices WHERE status = 'open' ORDER BY random() LIMIT 1`,
      );
      if (!invoice) return { skipped: 'no open invoice' };
      const answer = await client.call('POST', `/v1/admin/invoices/${invoice.id}/retry-payment`, {
        token: tokens.finance,
        body: {},
      });
      return { invoice: invoice.id, status: answer.status, code: answer.body?.error?.code };
    },

    async dispute() {
      const charge = await one(
        `SELECT stripe_charge_id FROM billing.charges WHERE stripe_charge_id IS NOT NULL AND status <> 'failed'
         ORDER BY random() LIMIT 1`,
      );
      if (!charge) return { skipped: 'no charge' };
      const answer = await fake(`/sandbox/charges/${charge.stripe_charge_id}/dispute`, {
        reason: 'fraudulent',
      });
      return { charge: charge.stripe_charge_id, status: answer.status, dispute: answer.body?.id };
    },

    async close_dispute(rng) {
      const dispute = await one(
        `SELECT stripe_dispute_id FROM billing.disputes WHERE status NOT IN ('won', 'lost') ORDER BY random() LIMIT 1`,
      ).catch(() => undefined);
      if (!dispute?.stripe_dispute_id) return { skipped: 'no open dispute' };
      const status = rng.pick(['won', 'lost']);
      const answer = await fake(`/sandbox/disputes/${dispute.stripe_dispute_id}/close`, { status });
      return { dispute: dispute.stripe_dispute_id, outcome: status, status: answer.status };
    },

    async early_fraud_warning() {
      const charge = await one(
        `SELECT stripe_charge_id FROM billing.charges WHERE stripe_charge_id IS NOT NULL AND status = 'succeeded'
         ORDER BY random() LIMIT 1`,
      );
      if (!charge) return { skipped: 'no charge' };
      const answer = await fake(`/sandbox/charges/${charge.stripe_charge_id}/early-fraud-warning`, {});
      return { charge: charge.stripe_charge_id, status: answer.status };
    },

    async billing_run() {
      const answer = await client.call('POST', '/v1/admin/billing-runs', { token: tokens.finance, body: {} });
      return { status: answer.status, code: answer.body?.error?.code };
    },

    async payout(rng) {
      const account = await one(
        `SELECT id, user_id, starting_balance FROM accounts.accounts WHERE status = 'funded' ORDER BY random() LIMIT 1`,
      );
      if (!account) {
        const requested = await one(
          `SELECT id FROM payouts.payouts WHERE status = 'requested' ORDER BY random() LIMIT 1`,
        );
        if (!requested) return { skipped: 'no funded account' };
        const approve = await client.call('POST', `/v1/admin/payouts/${requested.id}/approve`, {
          token: tokens.finance,
          body: {},
        });
        return { payout: requested.id, approve: approve.status, code: approve.body?.error?.code };
      }
      const user = account.user_id;
      await client.call('POST', '/v1/payouts/kyc-statuses', {
        apiKey: world.serviceKey,
        body: { userId: user, status: 'verified', updatedAt: new Date().toISOString() },
      });
      const connected = await fake('/__control/accounts', { email: `${user}@example.com` });
      if (connected.body?.id) {
        await client.call('PUT', '/v1/payouts/destinations/stripe', {
          token: tokens.trader(user),
          body: { stripeAccountId: connected.body.id },
        });
      }
      await client.call('POST', '/v1/payouts/balance-snapshots', {
        apiKey: world.serviceKey,
        body: {
          accountId: account.id,
          balance: Number(account.starting_balance) + 50_000 + rng.int(500_000),
          reportedAt: new Date().toISOString(),
        },
      });
      const request = await client.call('POST', '/v1/payouts', {
        token: tokens.trader(user),
        body: { accountId: account.id, method: 'stripe_connect' },
      });
      const result = {
        account: account.id,
        request: request.status,
        code: request.body?.error?.code,
        payout: request.body?.id,
      };
      if (request.status === 201) {
        acknowledged.payouts.push({ id: request.body.id, account: account.id });
        const approve = await client.call('POST', `/v1/admin/payouts/${request.body.id}/approve`, {
          token: tokens.finance,
          body: {},
        });
        result.approve = approve.status;
        if (approve.body?.status === 'requested' || approve.body?.requiresSecondApproval) {
          const second = await client.call('POST', `/v1/admin/payouts/${request.body.id}/approve`, {
            token: tokens.finance2,
            body: {},
          });
          result.secondApprove = second.status;
        }
      }
      return result;
    },

    async reads(rng) {
      const user = anyTrader(rng);
      const which = rng.pick(['accounts', 'invoices', 'subscriptions', 'search', 'products', 'events']);
      const path = {
        accounts: ['/v1/accounts', tokens.trader(user)],
        invoices: ['/v1/billing/invoices', tokens.trader(user)],
        subscriptions: ['/v1/billing/subscriptions', tokens.trader(user)],
        search: [`/v1/admin/customers?query=${user}`, tokens.finance],
        products: ['/v1/billing/products?currency=USD', tokens.trader(user)],
        events: ['/v1/billing/events', tokens.trader(user)],
      }[which];
      const answer = await client.call('GET', path[0], { token: path[1] });
      return { read: which, status: answer.status };
    },
  };

  return { operations, acknowledged };
}
