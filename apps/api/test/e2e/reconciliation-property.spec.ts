import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import type { ReconciliationView } from '@astrix/contracts';
import type { PaymentProcessor } from '@astrix/stripe-client';
import { PAYMENT_PROCESSOR } from '../../src/platform/payment-processor/payment-processor.provider';
import { productBySlug, purchase } from '../support/billing';
import { expectBooksClean } from '../support/books';
import { startSubscriptionTestApp, type SubscriptionTestApp } from '../support/subscriptions';
import { eventually } from '../support/test-app';

const FINANCE = { sub: 'staff_recon_property', roles: ['finance'] };
const DAY_MS = 86_400_000;

type Operation =
  | { kind: 'buy'; dispute: false }
  | { kind: 'buy'; dispute: true; outcome: 'won' | 'lost' }
  | { kind: 'refund'; pick: number; share: number }
  | { kind: 'credit'; pick: number; share: number }
  | { kind: 'renew' };

const operation: fc.Arbitrary<Operation> = fc.oneof(
  fc.constant<Operation>({ kind: 'buy', dispute: false }),
  fc
    .constantFrom('won' as const, 'lost' as const)
    .map((outcome): Operation => ({ kind: 'buy', dispute: true, outcome })),
  fc
    .record({ pick: fc.nat(), share: fc.integer({ min: 1, max: 60 }) })
    .map((r): Operation => ({ kind: 'refund', ...r })),
  fc
    .record({ pick: fc.nat(), share: fc.integer({ min: 1, max: 60 }) })
    .map((r): Operation => ({ kind: 'credit', ...r })),
  fc.constant<Operation>({ kind: 'renew' }),
);

/**
 * Random sequences of money operations on the fake Stripe (buy, refund partly, dispute won or lost,
 * credit, renew a subscription), each followed by the day's reconciliation: every journal entry
 * balances, and the ledger's Stripe balance (pending and available) is the fake Stripe's.
 */
describe('reconciliation property: the ledger holds what Stripe holds', () => {
  let t: SubscriptionTestApp;
  const today = new Date().toISOString().slice(0, 10);
  let users = 0;
  let renewals = 0;
  /** The app's clock: moved ahead by renewals, never behind real time (Stripe's clock). */
  let clockAt = 0;
  let subscription: { id: string } | null = null;
  const charges: Array<{ id: string; amount: number; invoiceId: string; refunded: number }> = [];
  beforeAll(async () => {
    t = await startSubscriptionTestApp(new Date().toISOString());
  });
  afterAll(() => t.close());

  const headers = () => ({ ...t.as(FINANCE), 'idempotency-key': randomUUID() });

  async function apply(op: Operation): Promise<void> {
    switch (op.kind) {
      case 'buy': {
        users += 1;
        const { charge } = await purchase(
          t,
          { sub: `user_prop_${users}`, email: `prop.${users}@example.com` },
          'evaluation-25k',
          op.dispute ? '4000000000000259' : '4242424242424242',
        );
        if (!op.dispute) {
          charges.push({
            id: String(charge.id),
            amount: Number(charge.amount),
            invoiceId: String(charge.invoice_id),
            refunded: 0,
          });
          return;
        }
        const dispute = await eventually(async () => {
          const [row] = await t.dataSource.query('SELECT * FROM billing.disputes WHERE charge_id = $1', [
            charge.id,
          ]);
          return row as { id: string; stripe_dispute_id: string } | undefined;
        });
        t.fake.controls.closeDispute(dispute.stripe_dispute_id, op.outcome);
        await t.fake.flushWebhooks();
        await eventually(async () => {
          const [row] = await t.dataSource.query('SELECT status FROM billing.disputes WHERE id = $1', [
            dispute.id,
          ]);
          return row.status === op.outcome;
        });
        return;
      }
      case 'refund': {
        const charge = charges.filter((c) => c.amount - c.refunded > 200)[
          op.pick % Math.max(1, charges.length)
        ];
        if (!charge) return;
        const amount = Math.max(100, Math.floor(((charge.amount - charge.refunded) * op.share) / 100));
        const response = await t.inject({
          method: 'POST',
          url: `/v1/admin/charges/${charge.id}/refunds`,
          headers: headers(),
          payload: { amount, reason: 'requested_by_customer' },
        });
        expect(response.statusCode).toBe(201);
        charge.refunded += amount;
        await t.fake.flushWebhooks();
        await eventually(async () => {
          const [row] = await t.dataSource.query('SELECT status FROM billing.refunds WHERE id = $1', [
            response.json().id,
          ]);
          return row?.status === 'succeeded';
        }, 20_000);
        return;
      }
      case 'credit': {
        const charge = charges[op.pick % Math.max(1, charges.length)];
        if (!charge) return;
        const response = await t.inject({
          method: 'POST',
          url: `/v1/admin/invoices/${charge.invoiceId}/credit-notes`,
          headers: headers(),
          payload: { amount: op.share, reason: 'goodwill credit settled outside Stripe' },
        });
        expect(response.statusCode).toBeLessThan(500);
        return;
      }
      case 'renew': {
        if (!subscription) {
          await t.addCard('user_prop_subscriber');
          const productId = (await productBySlug(t, 'pro-monthly')).id;
          const created = await t.subscribe('user_prop_subscriber', {
            productId,
            currency: 'USD',
            trialDays: 0,
          });
          expect(created.statusCode).toBe(201);
          subscription = created.json();
          return;
        }
        renewals += 1;
        clockAt = Date.now() + renewals * 32 * DAY_MS;
        await t.runBillingAt(new Date(clockAt).toISOString());
        await t.paidInvoicesOf(subscription.id, renewals + 1);
        return;
      }
    }
  }

  async function reconcileToday(): Promise<ReconciliationView> {
    // The app's clock stands still in this suite; Stripe's moves: bring ours up to real time.
    clockAt = Math.max(clockAt, Date.now());
    t.setNow(new Date(clockAt).toISOString());
    const started = await t.inject({
      method: 'POST',
      url: '/v1/admin/reconciliations',
      headers: headers(),
      payload: { date: today },
    });
    expect(started.statusCode).toBe(202);
    const id = started.json<ReconciliationView>().id;
    return eventually(async () => {
      const view = (
        await t.inject({ method: 'GET', url: `/v1/admin/reconciliations/${id}`, headers: t.as(FINANCE) })
      ).json<ReconciliationView>();
      return view.status === 'completed' ? view : null;
    }, 30_000);
  }

  it('random money operations keep every entry balanced and the ledger equal to Stripe after reconciling', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(operation, { minLength: 1, maxLength: 3 }), async (operations) => {
        for (const op of operations) await apply(op);
        await t.fake.flushWebhooks();
        const view = await reconcileToday();
        expect(view.counts?.unmatchedInBooks).toBe(0);
        expect(view.counts?.amountMismatch).toBe(0);
        const unbalanced = await t.dataSource.query(
          `SELECT entry_id, currency FROM billing.journal_lines GROUP BY entry_id, currency HAVING sum(debit) <> sum(credit)`,
        );
        expect(unbalanced).toEqual([]);
        const ledger: Array<{ currency: string; pending: string; available: string }> =
          await t.dataSource.query(
            `SELECT currency,
                  COALESCE(sum(debit - credit) FILTER (WHERE account = 'stripe_balance_pending'), 0)::text AS pending,
                  COALESCE(sum(debit - credit) FILTER (WHERE account = 'stripe_balance_available'), 0)::text AS available
             FROM billing.journal_lines WHERE account IN ('stripe_balance_pending', 'stripe_balance_available')
            GROUP BY currency ORDER BY currency`,
          );
        const stripe = await t.app.get<PaymentProcessor>(PAYMENT_PROCESSOR).retrieveBalance();
        expect(
          ledger.map((row) => ({
            currency: row.currency,
            pending: Number(row.pending),
            available: Number(row.available),
          })),
        ).toEqual(
          stripe
            .filter((balance) => balance.pendingMinor !== 0 || balance.availableMinor !== 0)
            .map((balance) => ({
              currency: balance.currency,
              pending: balance.pendingMinor,
              available: balance.availableMinor,
            }))
            .sort((a, b) => a.currency.localeCompare(b.currency)),
        );
      }),
      { numRuns: 20, seed: 20261206, endOnFailure: true },
    );
    await expectBooksClean(t.app);
  }, 600_000);
});
