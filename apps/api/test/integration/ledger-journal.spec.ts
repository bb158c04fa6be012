import { CHART_OF_ACCOUNTS } from '../../src/modules/billing/ledger/chart-of-accounts';
import { JournalEntry, JournalLine } from '../../src/modules/billing/ledger/journal-entry.entity';
import { Journal } from '../../src/modules/billing/ledger/journal.service';
import { startTestApp, TestApp } from '../support/test-app';

describe('ledger journal', () => {
  let t: TestApp;
  let journal: Journal;
  beforeAll(async () => {
    t = await startTestApp();
    journal = t.app.get(Journal);
  });
  afterAll(() => t.close());

  const sale = (sourceId: string) => ({
    sourceType: 'invoice' as const,
    sourceId,
    event: 'invoice.finalized',
    occurredAt: new Date('2026-11-02T10:00:00Z'),
    customerId: 'cust_ledger',
    lines: [
      { account: 'accounts_receivable' as const, currency: 'USD', debit: 11920 },
      { account: 'discounts' as const, currency: 'USD', debit: 2980 },
      { account: 'revenue_evaluation' as const, currency: 'USD', credit: 14900 },
      { account: 'tax_payable' as const, currency: 'USD', credit: 0 },
    ],
  });

  it('keeps the chart of accounts in code and in data equal', async () => {
    const rows: Array<{ code: string; type: string; normal_side: string; clearing: boolean }> =
      await t.dataSource.query(
        `SELECT code, type, normal_side, clearing FROM billing.ledger_accounts ORDER BY code`,
      );
    expect(rows).toEqual(
      CHART_OF_ACCOUNTS.map(({ code, type, normalSide, clearing }) => ({
        code,
        type,
        normal_side: normalSide,
        clearing,
      })).sort((a, b) => a.code.localeCompare(b.code)),
    );
  });

  it('posts a balanced entry once per source event, dropping zero lines', async () => {
    const first = await t.dataSource.transaction((manager) => journal.post(manager, sale('inv_ledger_1')));
    const again = await t.dataSource.transaction((manager) => journal.post(manager, sale('inv_ledger_1')));
    expect(first).not.toBeNull();
    expect(again).toBeNull();
    const lines = await t.dataSource.getRepository(JournalLine).find({ where: { entryId: first!.id } });
    expect(lines.map((line) => [line.account, line.debit, line.credit]).sort()).toEqual([
      ['accounts_receivable', 11920, 0],
      ['discounts', 2980, 0],
      ['revenue_evaluation', 0, 14900],
    ]);
    expect(lines.every((line) => line.customerId === 'cust_ledger')).toBe(true);
  });

  it('posts one entry when two transactions race to post the same source event', async () => {
    const results = await Promise.all(
      [1, 2, 3].map(() =>
        t.dataSource.transaction((manager) => journal.post(manager, sale('inv_ledger_race'))),
      ),
    );
    expect(results.filter((entry) => entry !== null)).toHaveLength(1);
    expect(await t.dataSource.getRepository(JournalEntry).countBy({ sourceId: 'inv_ledger_race' })).toBe(1);
  });

  it('posts many entries in one call: one already posted is skipped with its lines, the others get theirs', async () => {
    await t.dataSource.transaction((manager) => journal.post(manager, sale('inv_ledger_many_1')));
    const posted = await t.dataSource.transaction((manager) =>
      journal.postMany(manager, [
        sale('inv_ledger_many_1'),
        sale('inv_ledger_many_2'),
        sale('inv_ledger_many_3'),
      ]),
    );
    expect(posted.map((entry) => entry.sourceId)).toEqual(['inv_ledger_many_2', 'inv_ledger_many_3']);
    const rows: Array<{ source_id: string; lines: number; debits: number; credits: number }> =
      await t.dataSource.query(
        `SELECT e.source_id, count(l.id)::int AS lines, sum(l.debit)::int AS debits, sum(l.credit)::int AS credits
           FROM billing.journal_entries e JOIN billing.journal_lines l ON l.entry_id = e.id
          WHERE e.source_id LIKE 'inv_ledger_many_%' GROUP BY e.source_id ORDER BY e.source_id`,
      );
    expect(rows).toEqual(
      ['inv_ledger_many_1', 'inv_ledger_many_2', 'inv_ledger_many_3'].map((source_id) => ({
        source_id,
        lines: 3,
        debits: 14900,
        credits: 14900,
      })),
    );
  });

  it('refuses an unbalanced entry in code and in the database', async () => {
    const unbalanced = {
      ...sale('inv_ledger_bad'),
      lines: sale('x')
        .lines.slice(0, 3)
        .concat([{ account: 'tax_payable' as const, currency: 'USD', credit: 1 }]),
    };
    await expect(t.dataSource.transaction((manager) => journal.post(manager, unbalanced))).rejects.toThrow(
      /does not balance: USD debits 14900 ≠ credits 14901/,
    );
    // Around the service: the deferred trigger refuses it at commit.
    await expect(
      t.dataSource.transaction(async (manager) => {
        await manager.query(
          `INSERT INTO billing.journal_entries (id, source_type, source_id, event, occurred_at) VALUES ('je_raw_bad', 'invoice', 'inv_raw', 'invoice.finalized', now())`,
        );
        await manager.query(
          `INSERT INTO billing.journal_lines (entry_id, account, currency, debit, credit, occurred_at)
           VALUES ('je_raw_bad', 'accounts_receivable', 'USD', 100, 0, now()), ('je_raw_bad', 'revenue_reset', 'EUR', 0, 100, now())`,
        );
      }),
    ).rejects.toThrow(/does not balance/);
    await expect(
      t.dataSource.query(
        `INSERT INTO billing.journal_entries (id, source_type, source_id, event, occurred_at) VALUES ('je_raw_empty', 'invoice', 'inv_raw', 'x', now())`,
      ),
    ).rejects.toThrow(/has no lines/);
    await expect(
      t.dataSource.transaction(async (manager) => {
        await manager.query(
          `INSERT INTO billing.journal_entries (id, source_type, source_id, event, occurred_at) VALUES ('je_raw_acct', 'invoice', 'inv_raw', 'y', now())`,
        );
        await manager.query(
          `INSERT INTO billing.journal_lines (entry_id, account, currency, debit, credit, occurred_at)
           VALUES ('je_raw_acct', 'petty_cash', 'USD', 100, 0, now()), ('je_raw_acct', 'revenue_reset', 'USD', 0, 100, now())`,
        );
      }),
    ).rejects.toThrow(/outside the chart/);
    expect(await t.dataSource.getRepository(JournalEntry).countBy({ sourceId: 'inv_raw' })).toBe(0);
  });

  // The check runs once per entry at commit; a line whose entry another transaction (or a savepoint)
  // posted is checked on its own, so none of these gets past it.
  describe('lines the entry of the same transaction does not cover', () => {
    const rawEntry = (id: string, sourceId: string) =>
      `INSERT INTO billing.journal_entries (id, source_type, source_id, event, occurred_at) VALUES ('${id}', 'invoice', '${sourceId}', 'invoice.finalized', now())`;
    const rawLines = (entryId: string, debit: number, credit: number) =>
      `INSERT INTO billing.journal_lines (entry_id, account, currency, debit, credit, occurred_at)
       VALUES ('${entryId}', 'accounts_receivable', 'USD', ${debit}, 0, now()), ('${entryId}', 'revenue_reset', 'USD', 0, ${credit}, now())`;

    it('refuses a line of an entry that does not exist', async () => {
      await expect(
        t.dataSource.query(
          `INSERT INTO billing.journal_lines (entry_id, account, currency, debit, credit, occurred_at)
           VALUES ('je_nowhere', 'accounts_receivable', 'USD', 100, 0, now())`,
        ),
      ).rejects.toThrow(/journal line of unknown entry je_nowhere/);
    });

    it('refuses lines that unbalance an entry committed earlier, and checks the balanced ones too', async () => {
      await t.dataSource.transaction(async (manager) => {
        await manager.query(rawEntry('je_raw_later', 'inv_raw_later'));
        await manager.query(rawLines('je_raw_later', 100, 100));
      });
      await expect(t.dataSource.query(rawLines('je_raw_later', 5, 4))).rejects.toThrow(
        /journal entry je_raw_later does not balance: USD debits 105 credits 104/,
      );
      await expect(
        t.dataSource.query(
          `INSERT INTO billing.journal_lines (entry_id, account, currency, debit, credit, occurred_at)
           VALUES ('je_raw_later', 'petty_cash', 'USD', 0, 7, now()), ('je_raw_later', 'revenue_reset', 'USD', 7, 0, now())`,
        ),
      ).rejects.toThrow(/outside the chart/);
      const [totals]: Array<{ lines: number; debits: number; credits: number }> = await t.dataSource.query(
        `SELECT count(*)::int AS lines, sum(debit)::int AS debits, sum(credit)::int AS credits
           FROM billing.journal_lines WHERE entry_id = 'je_raw_later'`,
      );
      expect(totals).toEqual({ lines: 2, debits: 100, credits: 100 });
    });

    it('checks an entry posted inside a savepoint with lines written after it, at commit', async () => {
      await expect(
        t.dataSource.transaction(async (manager) => {
          await manager.query(`SAVEPOINT posting`);
          await manager.query(rawEntry('je_raw_savepoint', 'inv_raw_savepoint'));
          await manager.query(`RELEASE SAVEPOINT posting`);
          await manager.query(rawLines('je_raw_savepoint', 300, 299));
        }),
      ).rejects.toThrow(/je_raw_savepoint does not balance/);
      await expect(
        t.dataSource.transaction(async (manager) => {
          await manager.query(rawEntry('je_raw_savepoint', 'inv_raw_savepoint'));
          await manager.query(`SAVEPOINT lines`);
          await manager.query(rawLines('je_raw_savepoint', 300, 299));
          await manager.query(`RELEASE SAVEPOINT lines`);
        }),
      ).rejects.toThrow(/je_raw_savepoint does not balance/);
      expect(await t.dataSource.getRepository(JournalEntry).countBy({ sourceId: 'inv_raw_savepoint' })).toBe(
        0,
      );
    });
  });

  it('is append-only: updates, deletes and truncation are refused; a correction is a reversing entry', async () => {
    const entry = await t.dataSource.transaction((manager) => journal.post(manager, sale('inv_ledger_rev')));
    await expect(
      t.dataSource.query(`UPDATE billing.journal_lines SET debit = debit + 1 WHERE entry_id = $1`, [
        entry!.id,
      ]),
    ).rejects.toThrow(/append-only/);
    await expect(
      t.dataSource.query(`DELETE FROM billing.journal_entries WHERE id = $1`, [entry!.id]),
    ).rejects.toThrow(/append-only/);
    await expect(t.dataSource.query(`TRUNCATE billing.journal_lines`)).rejects.toThrow(/append-only/);

    const reversal = await t.dataSource.transaction((manager) =>
      journal.reverse(manager, entry!.id, {
        event: 'invoice.voided',
        occurredAt: new Date('2026-11-03T00:00:00Z'),
      }),
    );
    const twice = await t.dataSource.transaction((manager) =>
      journal.reverse(manager, entry!.id, {
        event: 'invoice.voided',
        occurredAt: new Date('2026-11-03T00:00:00Z'),
      }),
    );
    expect(reversal?.reversesEntryId).toBe(entry!.id);
    expect(twice).toBeNull();
    const [net] = await t.dataSource.query(
      `SELECT sum(debit)::int AS debits, sum(credit)::int AS credits, count(DISTINCT entry_id)::int AS entries
         FROM billing.journal_lines l JOIN billing.journal_entries e ON e.id = l.entry_id
        WHERE e.source_id = 'inv_ledger_rev' AND l.account = 'accounts_receivable'`,
    );
    expect(net).toEqual({ debits: 11920, credits: 11920, entries: 2 });
  });
});
