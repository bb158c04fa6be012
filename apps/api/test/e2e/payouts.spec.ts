import { BillingTestApp, productBySlug, startBillingTestApp } from '../support/billing';
import { idempotent } from '../support/idempotency';
import { eventually } from '../support/test-app';
import { expectBooksClean } from '../support/books';
import { fundedAccount as fundedPayoutAccount, preparePayouts } from '../support/payouts';

describe('payouts through the fake Stripe', () => {
  let t: BillingTestApp;
  let platformKey: string;
  let identityKey: string;
  const finance = { sub: 'staff_fin_1', roles: ['finance'] };
  const finance2 = { sub: 'staff_fin_2', roles: ['finance'] };

  beforeAll(async () => {
    t = await startBillingTestApp();
    ({ platformKey, identityKey } = await preparePayouts(t, finance));
  });
  afterAll(() => t.close());

  /** Buys an evaluation, passes both phases, funds it, verifies KYC and reports a balance. */
  const fundedAccount = (sub: string, balance: number, kyc = true) =>
    fundedPayoutAccount(t, { platformKey, identityKey }, sub, balance, { kyc });

  const eligibility = (sub: string, accountId: string) =>
    t.inject({
      method: 'GET',
      url: `/v1/payouts/eligibility?accountId=${accountId}`,
      headers: t.as({ sub }),
    });
  const requestPayout = (sub: string, payload: Record<string, unknown>) =>
    t.inject({
      method: 'POST',
      url: '/v1/payouts',
      headers: idempotent(t.as({ sub })),
      payload: { method: 'stripe_connect', ...payload },
    });
  const payoutStatus = (sub: string, id: string, status: string) =>
    eventually(async () => {
      const view = (
        await t.inject({ method: 'GET', url: `/v1/payouts/${id}`, headers: t.as({ sub }) })
      ).json();
      return view.status === status ? (view as Record<string, unknown>) : undefined;
    });

  it('pays a funded trader through a Stripe transfer after two approvals, refunding the fee once', async () => {
    const account = await fundedAccount('user_po_happy', 250_000);
    const eligible = (await eligibility('user_po_happy', account.id)).json();
    expect(eligible).toMatchObject({
      eligible: true,
      reasons: [],
      amountAvailable: 200_000,
      isFirstPayout: true,
    });
    expect(eligible.split).toMatchObject({ profit: 250_000, traderAmount: 200_000, firmAmount: 50_000 });

    const requested = await requestPayout('user_po_happy', { accountId: account.id });
    expect(requested.statusCode).toBe(201);
    const payout = requested.json();
    expect(payout).toMatchObject({ status: 'requested', amount: 200_000, requiresSecondApproval: true });
    expect((await eligibility('user_po_happy', account.id)).json().amountAvailable).toBe(0);

    const approve = (who: { sub: string; roles: string[] }) =>
      t.inject({
        method: 'POST',
        url: `/v1/admin/payouts/${payout.id}/approve`,
        headers: idempotent(t.as(who)),
      });
    expect((await approve(finance)).json().status).toBe('requested');
    const twice = await approve(finance);
    expect(twice.statusCode).toBe(409);
    expect(twice.json().error.code).toBe('SAME_APPROVER');
    expect((await approve(finance2)).json().status).toBe('approved');

    const paid = await payoutStatus('user_po_happy', payout.id, 'paid');
    expect(paid.transferId).toMatch(/^tr_/);
    expect(paid.feeRefunded).toBeGreaterThan(0);
    const [refunds] = await t.dataSource.query(
      'SELECT count(*)::int AS n FROM billing.refunds WHERE charge_id = $1',
      [account.chargeId],
    );
    expect(refunds.n).toBe(1);

    // Stripe's transfer.created webhook, through billing's endpoint to payouts, and delivered a
    // second time, changes nothing once paid.
    await t.fake.flushWebhooks();
    const transferEvent = t.fake.controls
      .sentEvents()
      .find(
        (event) =>
          event.type === 'transfer.created' && (event.data.object as { id: string }).id === paid.transferId,
      )!;
    const processedTransferEvent = () =>
      eventually(async () => {
        const [row] = await t.dataSource.query(
          'SELECT status FROM billing.stripe_webhook_events WHERE id = $1',
          [transferEvent.id],
        );
        return row?.status === 'processed';
      });
    await processedTransferEvent();
    const duplicate = { ...transferEvent, id: `${transferEvent.id}_again` };
    expect((await t.deliver(JSON.stringify(duplicate))).status).toBe(200);
    await eventually(async () => {
      const [row] = await t.dataSource.query(
        'SELECT status FROM billing.stripe_webhook_events WHERE id = $1',
        [duplicate.id],
      );
      return row?.status === 'processed';
    });
    const ledger = await t.dataSource.query(
      'SELECT kind, amount::int AS amount FROM payouts.ledger_entries WHERE account_id = $1 ORDER BY id',
      [account.id],
    );
    expect(ledger.map((entry: { kind: string }) => entry.kind)).toEqual([
      'reservation',
      'fee_refund',
      'payment',
    ]);
    expect((await eligibility('user_po_happy', account.id)).json().paidOutTotal).toBe(200_000);
    const events = await t.outbox('payouts.payout.paid');
    expect(events.filter((event) => event.subject === payout.id)).toHaveLength(1);

    const other = await t.inject({
      method: 'GET',
      url: `/v1/payouts/${payout.id}`,
      headers: t.as({ sub: 'user_someone_else' }),
    });
    expect(other.statusCode).toBe(404);
  });

  it('refuses without KYC, under a fraud flag, below the minimum and above the cap', async () => {
    const noKyc = await fundedAccount('user_po_nokyc', 50_000, false);
    expect((await eligibility('user_po_nokyc', noKyc.id)).json().reasons).toContain('kyc_required');
    expect((await requestPayout('user_po_nokyc', { accountId: noKyc.id })).statusCode).toBe(422);

    const small = await fundedAccount('user_po_small', 5_000);
    expect((await eligibility('user_po_small', small.id)).json().reasons).toEqual(['below_minimum']);

    const big = await fundedAccount('user_po_big', 1_000_000);
    const view = (await eligibility('user_po_big', big.id)).json();
    expect(view).toMatchObject({ amountAvailable: 300_000, split: { withheldByCap: 500_000 } });
    const above = await requestPayout('user_po_big', { accountId: big.id, amount: 400_000 });
    expect(above.json().error.code).toBe('ABOVE_CAP');

    // Support blocks the customer in billing's fraud tooling: payouts wait for review.
    const [customer] = await t.dataSource.query(
      `SELECT id FROM billing.customers WHERE user_id = 'user_po_big'`,
    );
    const blocked = await t.inject({
      method: 'POST',
      url: `/v1/admin/customers/${customer.id}/block`,
      headers: t.as({ sub: 'staff_risk', roles: ['support'] }),
      payload: { reason: 'chargeback pattern' },
    });
    expect(blocked.statusCode).toBe(200);
    expect((await eligibility('user_po_big', big.id)).json().reasons).toContain('fraud_review');
    expect((await requestPayout('user_po_big', { accountId: big.id, amount: 10_000 })).statusCode).toBe(422);
  });

  it('lets only one of two concurrent requests reserve the available amount', async () => {
    const account = await fundedAccount('user_po_race', 100_000);
    const results = await Promise.all([
      requestPayout('user_po_race', { accountId: account.id, amount: 60_000 }),
      requestPayout('user_po_race', { accountId: account.id, amount: 60_000 }),
    ]);
    expect(results.map((result) => result.statusCode).sort()).toEqual([201, 422]);
  });

  it("settles a transfer whose answer was lost from Stripe's webhook, paying once", async () => {
    const account = await fundedAccount('user_po_lost_answer', 50_000);
    t.fake.controls.injectFault({
      kind: 'server_error',
      path: '/v1/transfers',
      method: 'POST',
      phase: 'after_processing',
      times: 5,
    });
    const payout = (await requestPayout('user_po_lost_answer', { accountId: account.id })).json();
    const paid = await payoutStatus('user_po_lost_answer', payout.id, 'paid');
    t.fake.controls.clearFaults();
    const transfers = t.fake.state.transfers
      .all()
      .filter((transfer) => transfer.transfer_group === payout.id);
    expect(transfers).toHaveLength(1);
    expect(paid.transferId).toBe(transfers[0].id);
  });

  it('retries a failed transfer without paying twice', async () => {
    const account = await fundedAccount('user_po_retry', 50_000);
    // The webhook that would settle it is lost too: only the retry can.
    t.fake.controls.setWebhookEndpoint(null);
    t.fake.controls.injectFault({
      kind: 'server_error',
      path: '/v1/transfers',
      method: 'POST',
      phase: 'after_processing',
      times: 5,
    });
    const payout = (await requestPayout('user_po_retry', { accountId: account.id })).json();
    const failed = await payoutStatus('user_po_retry', payout.id, 'failed');
    expect(failed.failureReason).toBeTruthy();
    t.fake.controls.clearFaults();
    const retried = await t.inject({
      method: 'POST',
      url: `/v1/admin/payouts/${payout.id}/retry`,
      headers: idempotent(t.as(finance)),
    });
    expect(retried.statusCode).toBe(200);
    const paid = await payoutStatus('user_po_retry', payout.id, 'paid');
    const transfers = t.fake.controls
      .sentEvents()
      .filter(
        (event) =>
          event.type === 'transfer.created' &&
          (event.data.object as { transfer_group?: string }).transfer_group === payout.id,
      );
    expect(transfers).toHaveLength(1);
    expect(paid.transferId).toBe((transfers[0].data.object as { id: string }).id);
    t.fake.controls.setWebhookEndpoint(`${t.url}/webhooks/stripe`, t.webhookSecret);
  });

  it('pays bank transfers by hand from a CSV queue, refunds the fee once, and lets traders cancel and finance reject', async () => {
    const account = await fundedAccount('user_po_bank', 50_000);
    const request = (amount: number, key: string) =>
      t.inject({
        method: 'POST',
        url: '/v1/payouts',
        headers: { ...t.as({ sub: 'user_po_bank' }), 'idempotency-key': key },
        payload: { accountId: account.id, amount, method: 'bank_transfer' },
      });
    const first = await request(10_000, 'bank-1');
    expect(first.statusCode).toBe(201);
    const replay = await request(10_000, 'bank-1');
    expect(replay.json().id).toBe(first.json().id);
    const bank = await payoutStatus('user_po_bank', first.json().id, 'processing');

    const csv = await t.inject({
      method: 'GET',
      url: '/v1/admin/payouts/manual?method=bank_transfer',
      headers: { ...t.as(finance), accept: 'text/csv' },
    });
    expect(csv.headers['content-type']).toMatch(/text\/csv/);
    const [header, ...lines] = csv.body.trim().split('\n');
    expect(header).toBe('payout_id,user_id,account_id,amount_minor,currency,requested_at');
    expect(lines.map((line) => line.split(','))).toContainEqual([
      bank.id,
      'user_po_bank',
      account.id,
      '10000',
      'USD',
      expect.any(String),
    ]);
    const paid = await t.inject({
      method: 'POST',
      url: `/v1/admin/payouts/${bank.id}/mark-paid`,
      headers: { ...t.as(finance), 'idempotency-key': 'mark-paid-1' },
      payload: { reference: 'BANK-REF-0042' },
    });
    expect(paid.json()).toMatchObject({ status: 'paid', transferId: 'BANK-REF-0042' });
    // A second, separate attempt (a new key) is refused by the payout's state.
    const again = await t.inject({
      method: 'POST',
      url: `/v1/admin/payouts/${bank.id}/mark-paid`,
      headers: { ...t.as(finance), 'idempotency-key': 'mark-paid-2' },
      payload: { reference: 'BANK-REF-0042' },
    });
    expect(again.statusCode).toBe(409);
    const [refunds] = await t.dataSource.query(
      'SELECT count(*)::int AS n FROM billing.refunds WHERE charge_id = $1',
      [account.chargeId],
    );
    expect(refunds.n).toBe(1);

    // Cancel by the trader and reject by finance (payouts above the four-eyes amount wait as
    // `requested`) both free the reserved amount again.
    const big = await fundedAccount('user_po_bank_big', 500_000);
    const requestBig = (key: string) =>
      t.inject({
        method: 'POST',
        url: '/v1/payouts',
        headers: { ...t.as({ sub: 'user_po_bank_big' }), 'idempotency-key': key },
        payload: { accountId: big.id, amount: 120_000, method: 'bank_transfer' },
      });
    const before = (await eligibility('user_po_bank_big', big.id)).json().amountAvailable as number;
    const toCancel = (await requestBig('big-1')).json();
    const toReject = (await requestBig('big-2')).json();
    expect([toCancel.status, toReject.status]).toEqual(['requested', 'requested']);
    // 400,000 of trader share, 240,000 reserved: 160,000 left (the per-payout cap was the limit before).
    expect((await eligibility('user_po_bank_big', big.id)).json().amountAvailable).toBe(160_000);
    const canceled = await t.inject({
      method: 'POST',
      url: `/v1/payouts/${toCancel.id}/cancel`,
      headers: t.as({ sub: 'user_po_bank_big' }),
    });
    expect(canceled.json().status).toBe('canceled');
    const rejected = await t.inject({
      method: 'POST',
      url: `/v1/admin/payouts/${toReject.id}/reject`,
      headers: t.as(finance),
      payload: { reason: 'documents missing' },
    });
    expect(rejected.json().status).toBe('rejected');
    expect((await eligibility('user_po_bank_big', big.id)).json().amountAvailable).toBe(before);
    const notTheirs = await t.inject({
      method: 'POST',
      url: `/v1/payouts/${toReject.id}/cancel`,
      headers: t.as({ sub: 'user_someone_else' }),
    });
    expect(notTheirs.statusCode).toBe(404);
  });

  it('refuses payouts too early after funding', async () => {
    const account = await fundedAccount('user_po_early', 50_000);
    const product = await productBySlug(t, 'evaluation-50k');
    await t.inject({
      method: 'PUT',
      url: `/v1/admin/payouts/rules/${product.id}`,
      headers: t.as(finance),
      payload: { minTradingDays: 5 },
    });
    const view = (await eligibility('user_po_early', account.id)).json();
    expect(view.reasons).toContain('too_early');
    expect(view.nextEligibleAt).not.toBeNull();
    await t.inject({
      method: 'PUT',
      url: `/v1/admin/payouts/rules/${product.id}`,
      headers: t.as(finance),
      payload: { minTradingDays: 0 },
    });
  });

  it('leaves the books clean', async () => {
    await expectBooksClean(t.app);
  });
});
