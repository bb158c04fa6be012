import { BillingTestApp, startBillingTestApp } from '../support/billing';
import { checkBooks, expectBooksClean } from '../support/books';
import { idempotent } from '../support/idempotency';
import { fundedAccount as fundedPayoutAccount, preparePayouts } from '../support/payouts';
import { eventually } from '../support/test-app';
import { Journal, payoutReservedEntry } from '../../src/modules/billing';

/**
 * Issue #19, trader payouts in the journal: reserved, paid and released post through billing's
 * journal in the payouts transactions, beside payouts' own ledger, and the books check compares
 * the two. The evaluation fee refunded with the first payout posts through the refund path.
 */
describe('ledger: trader payouts', () => {
  let t: BillingTestApp;
  let platformKey: string;
  let identityKey: string;
  const finance = { sub: 'staff_fin_ledger_1', roles: ['finance'] };
  const finance2 = { sub: 'staff_fin_ledger_2', roles: ['finance'] };

  beforeAll(async () => {
    t = await startBillingTestApp();
    ({ platformKey, identityKey } = await preparePayouts(t, finance));
  });
  afterAll(() => t.close());
  afterEach(() => {
    t.fake.controls.clearFaults();
    t.fake.controls.setWebhookEndpoint(`${t.url}/webhooks/stripe`, t.webhookSecret);
  });

  const fundedAccount = (sub: string, balance: number) =>
    fundedPayoutAccount(t, { platformKey, identityKey }, sub, balance);
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
    }, 20_000);
  const approve = (payoutId: string, who: { sub: string; roles: string[] }) =>
    t.inject({
      method: 'POST',
      url: `/v1/admin/payouts/${payoutId}/approve`,
      headers: idempotent(t.as(who)),
    });

  /** A payout's entries, oldest first: [event, [account, debit, credit]…, reverses another entry]. */
  const entriesOf = async (sourceId: string) => {
    const rows: Array<{ event: string; reverses: boolean; lines: Array<[string, number, number]> }> =
      await t.dataSource.query(
        `SELECT e.event, e.reverses_entry_id IS NOT NULL AS reverses,
                json_agg(json_build_array(l.account, l.debit, l.credit) ORDER BY l.id) AS lines
           FROM billing.journal_entries e JOIN billing.journal_lines l ON l.entry_id = e.id
          WHERE e.source_type = 'trader_payout' AND e.source_id = $1
          GROUP BY e.id ORDER BY e.occurred_at, e.posted_at, e.id`,
        [sourceId],
      );
    return rows.map((row) => ({ ...row, lines: row.lines.map(([a, d, c]) => [a, Number(d), Number(c)]) }));
  };
  const reserved = (amount: number) => ({
    event: 'payout.reserved',
    reverses: false,
    lines: [
      ['trader_payouts_expense', amount, 0],
      ['trader_payouts_payable', 0, amount],
    ],
  });

  it('reserved → paid: the share owed, then sent to clearing; the first payout refunds the fee through the refund path', async () => {
    const account = await fundedAccount('user_ledger_po_paid', 250_000);
    const payout = (await requestPayout('user_ledger_po_paid', { accountId: account.id })).json();
    expect(payout).toMatchObject({ status: 'requested', amount: 200_000 });
    expect(await entriesOf(payout.id)).toEqual([reserved(200_000)]);

    await approve(payout.id, finance);
    await approve(payout.id, finance2);
    const paid = await payoutStatus('user_ledger_po_paid', payout.id, 'paid');
    expect(await entriesOf(payout.id)).toEqual([
      reserved(200_000),
      {
        event: 'payout.paid',
        reverses: false,
        lines: [
          ['trader_payouts_payable', 200_000, 0],
          ['trader_payouts_clearing', 0, 200_000],
        ],
      },
    ]);

    // The evaluation fee went back as a billing refund: settled in the journal with its credit note.
    const [refund] = await t.dataSource.query(
      `SELECT id, amount, credit_note_id FROM billing.refunds WHERE charge_id = $1 AND status = 'succeeded'`,
      [account.chargeId],
    );
    expect(Number(refund.amount)).toBe(paid.feeRefunded);
    const feeEntries: Array<{ source_type: string; event: string }> = await t.dataSource.query(
      `SELECT source_type, event FROM billing.journal_entries WHERE source_id = ANY($1) ORDER BY source_type`,
      [[refund.id, refund.credit_note_id]],
    );
    expect(feeEntries).toEqual([
      { source_type: 'credit_note', event: 'credit_note.issued' },
      { source_type: 'refund', event: 'refund.settled' },
    ]);
  });

  it('reserved → failed: the reservation stays owed for the retry, nothing else posts', async () => {
    const account = await fundedAccount('user_ledger_po_failed', 50_000);
    t.fake.controls.setWebhookEndpoint(null);
    t.fake.controls.injectFault({ kind: 'server_error', path: '/v1/transfers', method: 'POST', times: 5 });
    const payout = (await requestPayout('user_ledger_po_failed', { accountId: account.id })).json();
    await payoutStatus('user_ledger_po_failed', payout.id, 'failed');
    expect(await entriesOf(payout.id)).toEqual([reserved(payout.amount as number)]);
    expect(
      (await checkBooks(t.app)).findings.filter((finding) => finding.kind === 'payout_ledger_disagrees'),
    ).toEqual([]);

    // Finance retries: paid once.
    t.fake.controls.clearFaults();
    const retried = await t.inject({
      method: 'POST',
      url: `/v1/admin/payouts/${payout.id}/retry`,
      headers: idempotent(t.as(finance)),
    });
    expect(retried.statusCode).toBe(200);
    await payoutStatus('user_ledger_po_failed', payout.id, 'paid');
    expect((await entriesOf(payout.id)).map((entry) => entry.event)).toEqual([
      'payout.reserved',
      'payout.paid',
    ]);
  });

  it('reserved → canceled by the trader, or rejected by finance: released, the mirror of the reservation', async () => {
    const account = await fundedAccount('user_ledger_po_canceled', 250_000);
    const canceled = (await requestPayout('user_ledger_po_canceled', { accountId: account.id })).json();
    const cancel = await t.inject({
      method: 'POST',
      url: `/v1/payouts/${canceled.id}/cancel`,
      headers: idempotent(t.as({ sub: 'user_ledger_po_canceled' })),
    });
    expect(cancel.json().status).toBe('canceled');
    const released = {
      event: 'payout.released',
      reverses: true,
      lines: [
        ['trader_payouts_expense', 0, 200_000],
        ['trader_payouts_payable', 200_000, 0],
      ],
    };
    expect(await entriesOf(canceled.id)).toEqual([reserved(200_000), released]);

    const rejected = (await requestPayout('user_ledger_po_canceled', { accountId: account.id })).json();
    const reject = await t.inject({
      method: 'POST',
      url: `/v1/admin/payouts/${rejected.id}/reject`,
      headers: idempotent(t.as(finance)),
      payload: { reason: 'trading rules breached' },
    });
    expect(reject.json().status).toBe('rejected');
    expect(await entriesOf(rejected.id)).toEqual([reserved(200_000), released]);
  });

  it('the books check names what payouts ledger and the journal disagree on, until they agree again', async () => {
    const disagreements = async () =>
      (await checkBooks(t.app)).findings.filter((finding) => finding.kind === 'payout_ledger_disagrees');
    expect(await disagreements()).toEqual([]);
    // A reservation in the journal that payouts' ledger does not hold (the journal is append-only:
    // its reversal below puts the books back).
    const journal = t.app.get(Journal);
    const ghost = await t.dataSource.transaction((manager) =>
      journal.post(
        manager,
        payoutReservedEntry({
          id: 'po_ghost',
          accountId: 'acc_ghost',
          userId: 'user_ghost',
          amount: 1234,
          currency: 'USD',
          requestedAt: new Date(),
        }),
      ),
    );
    expect((await disagreements()).map((finding) => [finding.subject, finding.amount]).sort()).toEqual([
      ['trader_payouts:USD:expense', 1234],
      ['trader_payouts:USD:owed', 1234],
    ]);
    await t.dataSource.transaction((manager) =>
      journal.reverse(manager, ghost!.id, { event: 'payout.released', occurredAt: new Date() }),
    );
    expect(await disagreements()).toEqual([]);
  });

  it('leaves the books clean', async () => {
    await expectBooksClean(t.app);
  });
});
