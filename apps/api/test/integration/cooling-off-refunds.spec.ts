import type { AccountStateChangedData, AstrixEvent } from '@astrix/contracts';
import { EventDispatcher } from '../../src/platform/events/event-dispatcher.service';
import { OutboxService } from '../../src/platform/events/outbox.service';
import { BillingTestApp, purchase, startBillingTestApp } from '../support/billing';
import { eventually, issueApiKey } from '../support/test-app';
import { expectBooksClean } from '../support/books';

describe('cooling-off refunds (billing consuming accounts.account.state_changed)', () => {
  let t: BillingTestApp;
  let buyer = 0;
  beforeAll(async () => {
    t = await startBillingTestApp({ env: { COOLING_OFF_DAYS: '14' } });
  });
  afterAll(() => t.close());

  async function paidEvaluation(): Promise<{ chargeId: string; userId: string; amount: number }> {
    const trader = { sub: `user_cooling_${(buyer += 1)}`, email: `cooling${buyer}@example.com` };
    const { charge } = await purchase(t, trader, 'evaluation-25k');
    return { chargeId: charge.id as string, userId: trader.sub, amount: Number(charge.amount) };
  }

  const accountEvent = (overrides: Partial<AccountStateChangedData> & { chargeId: string; userId: string }) =>
    t.dataSource.transaction((manager) =>
      t.app.get(OutboxService).append(manager, {
        type: 'accounts.account.state_changed',
        subject: `acc_${overrides.chargeId}`,
        data: {
          accountId: `acc_${overrides.chargeId}`,
          kind: 'evaluation',
          from: 'active',
          to: 'closed',
          reason: 'trader cancelled',
          occurredAt: new Date().toISOString(),
          phase: 1,
          resetCount: 0,
          firstTradeAt: null,
          createdAt: new Date(Date.now() - 3 * 86_400_000).toISOString(),
          ...overrides,
        },
      }),
    );
  const refundsOf = (chargeId: string) =>
    t.dataSource.query('SELECT amount, status, reason FROM billing.refunds WHERE charge_id = $1', [chargeId]);

  it('refunds the whole fee of an account closed before its first trade, once', async () => {
    const paid = await paidEvaluation();
    const event = await accountEvent({ chargeId: paid.chargeId, userId: paid.userId });
    const refunds = await eventually(async () => {
      const rows = await refundsOf(paid.chargeId);
      return rows.length === 1 && rows[0].status === 'succeeded' ? rows : null;
    });
    expect(Number(refunds[0].amount)).toBe(paid.amount);
    expect(refunds[0].reason).toMatch(/^cooling-off/);
    // The same event delivered again refunds nothing more.
    await t.app.get(EventDispatcher).dispatch(event as AstrixEvent);
    expect(await refundsOf(paid.chargeId)).toHaveLength(1);
    const processed = await t.outbox('billing.refund.processed');
    expect(processed.filter((row) => row.envelope.data.chargeId === paid.chargeId)).toHaveLength(1);
  });

  it('refunds nothing when the trader traded, or when the window has passed', async () => {
    const traded = await paidEvaluation();
    const late = await paidEvaluation();
    const tradedEvent = await accountEvent({ ...traded, firstTradeAt: new Date().toISOString() });
    const lateEvent = await accountEvent({
      ...late,
      createdAt: new Date(Date.now() - 15 * 86_400_000).toISOString(),
    });
    const dispatcher = t.app.get(EventDispatcher);
    // Dispatch directly too, so the assertion does not depend on the worker's timing.
    await dispatcher.dispatch(tradedEvent as AstrixEvent);
    await dispatcher.dispatch(lateEvent as AstrixEvent);
    expect(await refundsOf(traded.chargeId)).toHaveLength(0);
    expect(await refundsOf(late.chargeId)).toHaveLength(0);
  });

  // Found by the chaos harness (tools/chaos): the refusal made the whole event's job fail and retry
  // until it gave up, so the consumers after this one (event history, outbound webhooks) never ran.
  it('refunds nothing for a disputed charge (the dispute returns the money), and lets the event through', async () => {
    const paid = await paidEvaluation();
    const [{ stripe_charge_id: stripeChargeId }] = await t.dataSource.query(
      'SELECT stripe_charge_id FROM billing.charges WHERE id = $1',
      [paid.chargeId],
    );
    t.fake.controls.openDispute(stripeChargeId as string);
    await t.fake.flushWebhooks();
    await eventually(async () => {
      const [row] = await t.dataSource.query('SELECT status FROM billing.charges WHERE id = $1', [
        paid.chargeId,
      ]);
      return row?.status === 'disputed';
    });
    const event = await accountEvent({ chargeId: paid.chargeId, userId: paid.userId });

    await expect(t.app.get(EventDispatcher).dispatch(event as AstrixEvent)).resolves.toBeUndefined();
    expect(await refundsOf(paid.chargeId)).toHaveLength(0);
  });

  // Found by the chaos harness's long run: charged back at Stripe before the dispute reached us,
  // the refund was refused (502 PROCESSOR_REJECTED) and the event failed for every consumer after this one.
  it('lets the event through when the processor refuses the refund (charged back before we knew)', async () => {
    const paid = await paidEvaluation();
    const [{ stripe_charge_id: stripeChargeId }] = await t.dataSource.query(
      'SELECT stripe_charge_id FROM billing.charges WHERE id = $1',
      [paid.chargeId],
    );
    await t.fake.flushWebhooks();
    t.fake.controls.setWebhookEndpoint(null);
    try {
      t.fake.controls.openDispute(stripeChargeId as string);
      const event = await accountEvent({ chargeId: paid.chargeId, userId: paid.userId });

      await expect(t.app.get(EventDispatcher).dispatch(event as AstrixEvent)).resolves.toBeUndefined();
      const refunds = await refundsOf(paid.chargeId);
      expect(refunds.map((refund: { status: string }) => refund.status)).toEqual(['failed']);
    } finally {
      t.fake.controls.setWebhookEndpoint(`${t.url}/webhooks/stripe`, t.webhookSecret);
    }
  });

  it('refunds end to end: the trading platform closes an untouched account, accounts emit, billing refunds', async () => {
    const trader = { sub: 'user_cooling_e2e', email: 'cooling-e2e@example.com' };
    const { charge } = await purchase(t, trader, 'evaluation-25k');
    const account = await eventually(async () => {
      const [row] = await t.dataSource.query(
        `SELECT id FROM accounts.accounts WHERE charge_id = $1 AND status = 'active'`,
        [charge.id],
      );
      return row as { id: string } | undefined;
    });
    const key = await issueApiKey(t, 'trading-platform', ['accounts:write']);
    const closed = await t.inject({
      method: 'POST',
      url: `/v1/accounts/${account.id}/events`,
      headers: { authorization: `Bearer ${key}` },
      payload: {
        eventId: 'tp_close_1',
        type: 'closed',
        occurredAt: new Date().toISOString(),
        reason: 'trader cancelled before trading',
      },
    });
    expect(closed.statusCode).toBeLessThan(300);
    const refunds = await eventually(async () => {
      const rows = await refundsOf(String(charge.id));
      return rows.length === 1 && rows[0].status === 'succeeded' ? rows : null;
    });
    expect(Number(refunds[0].amount)).toBe(Number(charge.amount));
  });

  it('leaves the books clean', async () => {
    await expectBooksClean(t.app);
  });
});
