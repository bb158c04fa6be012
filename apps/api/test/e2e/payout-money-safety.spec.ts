import { BillingTestApp, startBillingTestApp } from '../support/billing';
import { eventually } from '../support/test-app';
import { expectBooksClean } from '../support/books';
import { fundedAccount as fundedPayoutAccount, preparePayouts } from '../support/payouts';

/**
 * Issue #16: a payout reaches its final state from its transfer alone; a first-payout fee refund that
 * fails becomes a task for finance. And four-eyes: the approver is never the beneficiary, and two
 * approvals come from two staff identities.
 */
describe('payout money safety through the fake Stripe', () => {
  let t: BillingTestApp;
  let platformKey: string;
  let identityKey: string;
  const finance = { sub: 'staff_fin_1', roles: ['finance'] };
  const finance2 = { sub: 'staff_fin_2', roles: ['finance'] };
  let keys = 0;
  const key = () => `key-${(keys += 1)}-${Date.now()}`;

  beforeAll(async () => {
    t = await startBillingTestApp();
    ({ platformKey, identityKey } = await preparePayouts(t, finance));
  });
  afterAll(() => t.close());

  /** Buys an evaluation, passes both phases, funds it, verifies KYC and reports a balance. */
  const fundedAccount = (sub: string, balance: number) =>
    fundedPayoutAccount(t, { platformKey, identityKey }, sub, balance);

  const requestPayout = (sub: string, payload: Record<string, unknown>) =>
    t.inject({
      method: 'POST',
      url: '/v1/payouts',
      headers: { ...t.as({ sub }), 'idempotency-key': key() },
      payload: { method: 'stripe_connect', ...payload },
    });
  const payoutStatus = (sub: string, id: string, status: string) =>
    eventually(async () => {
      const view = (
        await t.inject({ method: 'GET', url: `/v1/payouts/${id}`, headers: t.as({ sub }) })
      ).json();
      return view.status === status ? (view as Record<string, unknown>) : undefined;
    });

  it('a payout does not stick in processing after its transfer when the first-payout fee refund fails (disputed fee charge)', async () => {
    const account = await fundedAccount('user_po_disputed_fee', 50_000);
    const [charge] = await t.dataSource.query('SELECT stripe_charge_id FROM billing.charges WHERE id = $1', [
      account.chargeId,
    ]);
    // The trader disputes the evaluation fee's charge: billing refuses to refund a disputed charge.
    t.fake.controls.openDispute(charge.stripe_charge_id as string);
    await t.fake.flushWebhooks();
    await eventually(async () => {
      const [row] = await t.dataSource.query('SELECT status FROM billing.charges WHERE id = $1', [
        account.chargeId,
      ]);
      return row.status === 'disputed';
    });

    const payout = (await requestPayout('user_po_disputed_fee', { accountId: account.id })).json();
    expect(payout.status).toBe('approved');
    // The transfer goes out at Stripe...
    const transfer = await eventually(async () =>
      t.fake.state.transfers.all().find((item) => item.transfer_group === payout.id),
    );
    // ...so the payout reaches its final state from the transfer alone.
    const settled = await eventually(async () => {
      const view = (
        await t.inject({
          method: 'GET',
          url: `/v1/payouts/${payout.id}`,
          headers: t.as({ sub: 'user_po_disputed_fee' }),
        })
      ).json();
      return view.status === 'paid' ? view : undefined;
    }).catch(async () => {
      const [row] = await t.dataSource.query('SELECT status FROM payouts.payouts WHERE id = $1', [payout.id]);
      throw new Error(
        `payout ${payout.id} is ${row.status as string} after transfer ${transfer.id} succeeded`,
      );
    });
    expect(settled).toMatchObject({ transferId: transfer.id, feeRefunded: 0 });
    const ledger = await t.dataSource.query(
      'SELECT kind FROM payouts.ledger_entries WHERE account_id = $1 ORDER BY id',
      [account.id],
    );
    expect(ledger.map((entry: { kind: string }) => entry.kind)).toEqual(['reservation', 'payment']);
    expect(await t.outbox('payouts.payout.paid')).toContainEqual(
      expect.objectContaining({ subject: payout.id }),
    );

    // The failed fee refund is a task for finance, listed for finance and admin only.
    const tasks = await eventually(async () => {
      const listed = await t.inject({
        method: 'GET',
        url: '/v1/admin/payout-tasks?status=open',
        headers: t.as(finance),
      });
      expect(listed.statusCode).toBe(200);
      const mine = (listed.json().data as Array<Record<string, unknown>>).filter(
        (task) => task.payoutId === payout.id,
      );
      return mine.length > 0 ? mine : undefined;
    });
    expect(tasks).toEqual([
      expect.objectContaining({
        kind: 'fee_refund',
        status: 'open',
        accountId: account.id,
        chargeId: account.chargeId,
        failureCode: 'CHARGE_DISPUTED',
      }),
    ]);
    const task = tasks[0] as { id: string };
    expect(
      (
        await t.inject({
          method: 'GET',
          url: '/v1/admin/payout-tasks',
          headers: t.as({ sub: 'staff_sup', roles: ['support'] }),
        })
      ).statusCode,
    ).toBe(403);
    expect(await t.outbox('payouts.fee_refund.failed')).toContainEqual(
      expect.objectContaining({ subject: payout.id }),
    );

    // Retrying while the charge is still disputed fails again and keeps the task open.
    const retried = await t.inject({
      method: 'POST',
      url: `/v1/admin/payout-tasks/${task.id}/retry`,
      headers: { ...t.as(finance), 'idempotency-key': `task-retry-${task.id}-1` },
    });
    expect(retried.statusCode).toBe(200);
    expect(retried.json()).toMatchObject({ status: 'open', attempts: 2, failureCode: 'CHARGE_DISPUTED' });

    // The bank decides for the trader: finance resolves the task with a note; nothing is refunded.
    const badResolve = await t.inject({
      method: 'POST',
      url: `/v1/admin/payout-tasks/${task.id}/resolve`,
      headers: t.as(finance),
      payload: {},
    });
    expect(badResolve.statusCode).toBe(400);
    const resolved = await t.inject({
      method: 'POST',
      url: `/v1/admin/payout-tasks/${task.id}/resolve`,
      headers: t.as(finance),
      payload: { note: 'dispute lost: the fee went back through the bank' },
    });
    expect(resolved.statusCode).toBe(200);
    expect(resolved.json()).toMatchObject({ status: 'resolved', resolvedBy: finance.sub });
    const again = await t.inject({
      method: 'POST',
      url: `/v1/admin/payout-tasks/${task.id}/resolve`,
      headers: t.as(finance),
      payload: { note: 'twice' },
    });
    expect(again.statusCode).toBe(409);
    const [refunds] = await t.dataSource.query(
      `SELECT count(*)::int AS n FROM billing.refunds WHERE charge_id = $1 AND status = 'succeeded'`,
      [account.chargeId],
    );
    expect(refunds.n).toBe(0);
    const audit = await t.dataSource.query(
      `SELECT action FROM platform.audit_log WHERE resource_id = $1 ORDER BY occurred_at`,
      [task.id],
    );
    expect(audit.map((row: { action: string }) => row.action)).toEqual([
      'payout_task.opened',
      'payout_task.retried',
      'payout_task.resolved',
    ]);
  });

  it('a fee refund task retried by finance refunds the fee once, even when two retries race', async () => {
    const account = await fundedAccount('user_po_fee_retry', 50_000);
    // Billing holds the charge as disputed (the dispute notice, written as its webhook would): the
    // automatic fee refund is refused and a task opens.
    await t.dataSource.query(`UPDATE billing.charges SET status = 'disputed' WHERE id = $1`, [
      account.chargeId,
    ]);
    const payout = (await requestPayout('user_po_fee_retry', { accountId: account.id })).json();
    await payoutStatus('user_po_fee_retry', payout.id, 'paid');
    const task = await eventually(async () => {
      const [row] = await t.dataSource.query(
        `SELECT id, failure_code FROM payouts.payout_tasks WHERE payout_id = $1 AND status = 'open'`,
        [payout.id],
      );
      return row as { id: string; failure_code: string } | undefined;
    });
    expect(task.failure_code).toBe('CHARGE_DISPUTED');

    // The dispute is withdrawn; finance retries.
    await t.dataSource.query(`UPDATE billing.charges SET status = 'succeeded' WHERE id = $1`, [
      account.chargeId,
    ]);
    const retry = () =>
      t.inject({
        method: 'POST',
        url: `/v1/admin/payout-tasks/${task.id}/retry`,
        headers: { ...t.as(finance), 'idempotency-key': `task-retry-${task.id}-${Math.random()}` },
      });
    // Two finance members retry at the same moment: the fee is refunded once.
    const results = await Promise.all([retry(), retry()]);
    expect(results.map((result) => result.statusCode).sort()).toEqual([200, 409]);
    const done = results.find((result) => result.statusCode === 200)!.json();
    expect(done).toMatchObject({ status: 'resolved', resolvedBy: finance.sub });
    const refunded = await t.inject({
      method: 'GET',
      url: `/v1/payouts/${payout.id}`,
      headers: t.as({ sub: 'user_po_fee_retry' }),
    });
    expect(refunded.json().feeRefunded).toBeGreaterThan(0);
    const [refunds] = await t.dataSource.query(
      'SELECT count(*)::int AS n FROM billing.refunds WHERE charge_id = $1',
      [account.chargeId],
    );
    expect(refunds.n).toBe(1);
    const ledger = await t.dataSource.query(
      'SELECT kind FROM payouts.ledger_entries WHERE account_id = $1 ORDER BY id',
      [account.id],
    );
    expect(ledger.map((entry: { kind: string }) => entry.kind)).toEqual([
      'reservation',
      'payment',
      'fee_refund',
    ]);
  });

  const approve = (payoutId: string, who: { sub: string; roles: string[] }) =>
    t.inject({
      method: 'POST',
      url: `/v1/admin/payouts/${payoutId}/approve`,
      headers: { ...t.as(who), 'idempotency-key': key() },
    });

  it('four eyes: a staff member who is the payout beneficiary cannot approve it', async () => {
    const account = await fundedAccount('user_po_self', 250_000);
    const payout = (await requestPayout('user_po_self', { accountId: account.id, amount: 150_000 })).json();
    expect(payout).toMatchObject({ status: 'requested', requiresSecondApproval: true });
    // The trader also works in finance.
    const self = await approve(payout.id, { sub: 'user_po_self', roles: ['finance'] });
    expect(self.statusCode).toBe(403);
    expect(self.json().error.code).toBe('SELF_APPROVAL');
    const [row] = await t.dataSource.query('SELECT status, approvals FROM payouts.payouts WHERE id = $1', [
      payout.id,
    ]);
    expect(row).toMatchObject({ status: 'requested', approvals: [] });
    // Two other staff members still can.
    expect((await approve(payout.id, finance)).json().status).toBe('requested');
    expect((await approve(payout.id, finance2)).json().status).toBe('approved');
  });

  it('four eyes: two racing approvals by one staff member count once', async () => {
    const account = await fundedAccount('user_po_race_approvals', 250_000);
    const payout = (
      await requestPayout('user_po_race_approvals', { accountId: account.id, amount: 150_000 })
    ).json();
    const results = await Promise.all([approve(payout.id, finance), approve(payout.id, finance)]);
    expect(results.map((result) => result.statusCode).sort()).toEqual([200, 409]);
    expect(results.find((result) => result.statusCode === 409)!.json().error.code).toBe('SAME_APPROVER');
    const [row] = await t.dataSource.query('SELECT status, approvals FROM payouts.payouts WHERE id = $1', [
      payout.id,
    ]);
    expect(row.status).toBe('requested');
    expect(row.approvals).toHaveLength(1);
    // Two different staff members racing complete it once.
    const other = await fundedAccount('user_po_race_two', 250_000);
    const second = (await requestPayout('user_po_race_two', { accountId: other.id, amount: 150_000 })).json();
    const both = await Promise.all([approve(second.id, finance), approve(second.id, finance2)]);
    expect(both.map((result) => result.statusCode)).toEqual([200, 200]);
    await payoutStatus('user_po_race_two', second.id, 'paid');
    expect(
      (await t.outbox('payouts.payout.approved')).filter((event) => event.subject === second.id),
    ).toHaveLength(1);
  });

  it('leaves the books clean', async () => {
    await expectBooksClean(t.app);
  });
});
