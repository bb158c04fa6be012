import { BillingTestApp, purchase, startBillingTestApp } from '../support/billing';
import { checkBooks, expectBooksClean } from '../support/books';
import { LedgerBackfill } from '../../src/modules/billing/ledger/ledger-backfill.service';
import { PayoutJournalBackfill } from '../../src/modules/payouts';

/**
 * Issue #19, an upgraded database: refunds, disputes and trader payouts written before the journal
 * are named by the books check, then posted by the backfill (billing's for refunds and disputes,
 * payouts' from its own ledger) with the live paths' builders; a second run posts nothing.
 */
describe('ledger backfill: refunds, disputes and trader payouts', () => {
  let t: BillingTestApp;
  let chargeId: string;
  const t1 = new Date('2026-10-01T10:00:00Z');
  const t2 = new Date('2026-10-03T10:00:00Z');

  beforeAll(async () => {
    t = await startBillingTestApp();
    const { charge } = await purchase(
      t,
      { sub: 'user_ledger_legacy', email: 'legacy@example.com' },
      'evaluation-25k',
    );
    chargeId = String(charge.id);
    const refund = (id: string, amount: number, status: string, reversedAt: Date | null) =>
      t.dataSource.query(
        `INSERT INTO billing.refunds (id, charge_id, amount, currency, reason, status, requested_by, created_at, processed_at, reversed_at)
         VALUES ($1, $2, $3, 'USD', 'legacy', $4, 'legacy', $5, $5, $6)`,
        [id, chargeId, amount, status, t1, reversedAt],
      );
    await refund('ref_legacy_settled', 1000, 'succeeded', null);
    await refund('ref_legacy_reversed', 2000, 'failed', t2);
    await refund('ref_legacy_refused', 3000, 'failed', null);
    const dispute = (id: string, status: string, closedAt: Date | null) =>
      t.dataSource.query(
        `INSERT INTO billing.disputes (id, charge_id, stripe_dispute_id, amount, currency, reason, status, fee_amount, lost_amount, created_at, updated_at, closed_at)
         VALUES ($1, $2, $3, 700, 'USD', 'fraudulent', $4, 1500, $5, $6, $6, $7)`,
        [id, chargeId, `dp_${id}`, status, status === 'lost' ? 700 : 0, t1, closedAt],
      );
    await dispute('dsp_legacy_open', 'needs_response', null);
    await dispute('dsp_legacy_won', 'won', t2);
    await dispute('dsp_legacy_lost', 'lost', t2);
    const payout = async (id: string, status: string, amount: number, kinds: string[]) => {
      await t.dataSource.query(
        `INSERT INTO payouts.payouts (id, account_id, user_id, method, status, amount, profit_consumed, currency, requires_second_approval, requested_at, paid_at, updated_at)
         VALUES ($1, 'acc_legacy', 'user_ledger_legacy', 'bank_transfer', $2, $3, $3, 'USD', false, $4, $5, $6)`,
        [id, status, amount, t1, status === 'paid' ? t2 : null, t2],
      );
      const sides: Record<string, [string, string]> = {
        reservation: ['reserved', 'trader_share'],
        release: ['trader_share', 'reserved'],
        payment: ['paid_out', 'reserved'],
      };
      for (const kind of kinds) {
        await t.dataSource.query(
          `INSERT INTO payouts.ledger_entries (id, account_id, payout_id, kind, debit_account, credit_account, amount, currency, created_at)
           VALUES ($1, 'acc_legacy', $2, $3, $4, $5, $6, 'USD', $7)`,
          [
            `ple_${id}_${kind}`,
            id,
            kind,
            sides[kind]![0],
            sides[kind]![1],
            amount,
            kind === 'reservation' ? t1 : t2,
          ],
        );
      }
    };
    await payout('po_legacy_paid', 'paid', 50_000, ['reservation', 'payment']);
    await payout('po_legacy_rejected', 'rejected', 20_000, ['reservation', 'release']);
    await payout('po_legacy_requested', 'requested', 10_000, ['reservation']);
  });
  afterAll(() => t.close());

  const eventsOf = async (sourceId: string) =>
    (
      (await t.dataSource.query(
        `SELECT event, reverses_entry_id IS NOT NULL AS reverses FROM billing.journal_entries WHERE source_id = $1 ORDER BY occurred_at, posted_at`,
        [sourceId],
      )) as Array<{ event: string; reverses: boolean }>
    ).map((row) => (row.reverses ? `${row.event} (reversal)` : row.event));

  it('names every legacy row without its entry, and the payouts ledger the journal does not match', async () => {
    const findings = (await checkBooks(t.app)).findings;
    expect(
      findings
        .filter((finding) => finding.kind === 'money_row_without_entry')
        .map((finding) => finding.subject)
        .sort(),
    ).toEqual([
      'dsp_legacy_lost',
      'dsp_legacy_lost',
      'dsp_legacy_open',
      'dsp_legacy_won',
      'dsp_legacy_won',
      'ref_legacy_reversed',
      'ref_legacy_reversed',
      'ref_legacy_settled',
    ]);
    expect(
      findings
        .filter((finding) => finding.kind === 'payout_ledger_disagrees')
        .map((finding) => [finding.subject, finding.amount])
        .sort(),
    ).toEqual([
      ['trader_payouts:USD:expense', 60_000],
      ['trader_payouts:USD:owed', 10_000],
      ['trader_payouts:USD:paid', 50_000],
    ]);
  });

  it('posts the entries the live paths post, and the books are clean', async () => {
    const billing = await t.app.get(LedgerBackfill).run({ batchSize: 2 });
    const posted = Object.fromEntries(
      billing.bySource
        .filter((source) => ['refund', 'dispute'].includes(source.sourceType))
        .map((source) => [source.event, source.posted]),
    );
    expect(posted).toEqual({
      'refund.settled': 2,
      'refund.reversed': 1,
      'dispute.opened': 3,
      'dispute.won': 1,
      'dispute.lost': 1,
    });
    const payouts = await t.app.get(PayoutJournalBackfill).run({ batchSize: 2 });
    expect(payouts.posted).toBe(5);

    expect(await eventsOf('ref_legacy_settled')).toEqual(['refund.settled']);
    expect(await eventsOf('ref_legacy_reversed')).toEqual(['refund.settled', 'refund.reversed (reversal)']);
    expect(await eventsOf('ref_legacy_refused')).toEqual([]);
    expect(await eventsOf('dsp_legacy_open')).toEqual(['dispute.opened']);
    expect(await eventsOf('dsp_legacy_won')).toEqual(['dispute.opened', 'dispute.won']);
    expect(await eventsOf('dsp_legacy_lost')).toEqual(['dispute.opened', 'dispute.lost']);
    expect(await eventsOf('po_legacy_paid')).toEqual(['payout.reserved', 'payout.paid']);
    expect(await eventsOf('po_legacy_rejected')).toEqual(['payout.reserved', 'payout.released (reversal)']);
    expect(await eventsOf('po_legacy_requested')).toEqual(['payout.reserved']);
    await expectBooksClean(t.app);
  });

  it('posts nothing the second time', async () => {
    const billing = await t.app.get(LedgerBackfill).run();
    const payouts = await t.app.get(PayoutJournalBackfill).run();
    expect([billing.posted, payouts.posted]).toEqual([0, 0]);
  });
});
