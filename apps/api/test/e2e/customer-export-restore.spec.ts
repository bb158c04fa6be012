import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BillingTestApp, purchase, startBillingTestApp } from '../support/billing';
import { expectBooksClean } from '../support/books';
import { DIST, runBuilt } from '../support/cli';
import { eventually } from '../support/test-app';
import { TEST_JWT_SECRET } from '../support/tokens';

jest.setTimeout(180_000);

const FINANCE = { sub: 'staff_finance', roles: ['finance'] };

/**
 * `pnpm cli customer export|restore` on the built CLI: two customers with purchases (one refunded
 * in part); one customer's rows are deleted and changed across schemas; restoring that customer's
 * bundle puts every row back byte for byte (an export afterwards equals the first, plus the audit
 * row of the restore) and the other customer's export is byte-equal before and after.
 */
describe('customer export and restore (built CLI)', () => {
  let t: BillingTestApp;
  let directory: string;
  const cli = (...args: string[]) =>
    runBuilt('cli.js', ['customer', ...args], {
      DATABASE_URL: t.database.url,
      AUTH_JWT_SECRET: TEST_JWT_SECRET,
    });

  /** A bundle's files by name (the manifest left out: it carries the export time). */
  const files = async (bundle: string): Promise<Record<string, string>> => {
    const contents: Record<string, string> = {};
    for (const name of (await readdir(bundle)).sort()) {
      if (name !== 'manifest.json') contents[name] = await readFile(join(bundle, name), 'utf8');
    }
    return contents;
  };

  beforeAll(async () => {
    if (!existsSync(join(DIST, 'cli.js'))) throw new Error('apps/api/dist is missing: build it first');
    directory = await mkdtemp(join(tmpdir(), 'astrix-customer-'));
    t = await startBillingTestApp();
  });
  afterAll(async () => {
    await t.close();
    await rm(directory, { recursive: true, force: true });
  });

  it("puts back one customer's lost and damaged rows without touching another's", async () => {
    const a = await purchase(t, { sub: 'user_export_a', email: 'export.a@example.com' }, 'evaluation-25k');
    await purchase(t, { sub: 'user_export_b', email: 'export.b@example.com' }, 'evaluation-50k');
    const refund = await t.inject({
      method: 'POST',
      url: `/v1/admin/charges/${String(a.charge.id)}/refunds`,
      headers: { ...t.as(FINANCE), 'idempotency-key': randomUUID() },
      payload: { amount: 1000, reason: 'requested_by_customer' },
    });
    expect(refund.statusCode).toBe(201);
    await t.fake.flushWebhooks();
    await eventually(async () => {
      const [row] = await t.dataSource.query('SELECT status FROM billing.refunds WHERE id = $1', [
        refund.json().id,
      ]);
      return row?.status === 'succeeded';
    }, 20_000);
    await expectBooksClean(t.app);
    const customerA = String(a.charge.customer_id);

    const exported = await cli('export', customerA, '--out', join(directory, 'a1'));
    expect(exported).toMatchObject({ code: 0 });
    expect(exported.stdout).toContain(`exported customer ${customerA} (user user_export_a)`);
    expect((await cli('export', 'user_export_b', '--out', join(directory, 'b1'))).code).toBe(0);
    const a1 = await files(join(directory, 'a1'));
    const b1 = await files(join(directory, 'b1'));
    const lines = (content: string | undefined) => (content ?? '').split('\n').filter(Boolean).length;
    // Rows of every schema: billing, accounts, the journal and platform's audit and events.
    for (const table of [
      'billing.customers',
      'billing.charges',
      'billing.invoices',
      'billing.refunds',
      'billing.credit_notes',
      'billing.journal_entries',
      'billing.journal_lines',
      'accounts.accounts',
      'platform.audit_log',
      'platform.outbox_events',
    ]) {
      expect([table, lines(a1[`${table}.jsonl`])]).toEqual([table, expect.any(Number)]);
      expect(lines(a1[`${table}.jsonl`])).toBeGreaterThan(0);
    }
    expect(a1['billing.charges.jsonl']).not.toContain('user_export_b');
    expect(b1['billing.charges.jsonl']).not.toContain('user_export_a');

    // Damage A: rows deleted (the append-only triggers switched off, as a bad script as superuser
    // could) and rows changed, across schemas.
    await t.dataSource.transaction(async (manager) => {
      await manager.query(`SET LOCAL session_replication_role = replica`);
      await manager.query('DELETE FROM billing.charges WHERE customer_id = $1', [customerA]);
      await manager.query(
        'DELETE FROM billing.invoice_lines WHERE invoice_id IN (SELECT id FROM billing.invoices WHERE customer_id = $1)',
        [customerA],
      );
      await manager.query('DELETE FROM billing.journal_lines WHERE customer_id = $1', [customerA]);
      await manager.query(`DELETE FROM accounts.accounts WHERE user_id = 'user_export_a'`);
      await manager.query(`DELETE FROM platform.audit_log WHERE actor_id = 'user_export_a'`);
      await manager.query(`UPDATE billing.customers SET email = 'wrong@example.com' WHERE id = $1`, [
        customerA,
      ]);
      await manager.query(`UPDATE billing.refunds SET status = 'failed' WHERE id = $1`, [refund.json().id]);
      // Rows that were never theirs: --prune takes them away.
      await manager.query(
        `INSERT INTO payouts.kyc_statuses (user_id, status, updated_at) VALUES ('user_export_a', 'verified', now())`,
      );
      await manager.query(
        `INSERT INTO billing.usage_alert_pending (customer_id, feature_id, marked_by, marked_at) VALUES ($1, 'junk', 'script', now())`,
        [customerA],
      );
    });

    // A bundle whose file changed is refused, and nothing is written.
    await cp(join(directory, 'a1'), join(directory, 'tampered'), { recursive: true });
    const tamperedFile = join(directory, 'tampered', 'billing.customers.jsonl');
    await writeFile(tamperedFile, (await readFile(tamperedFile, 'utf8')).replace('export.a@', 'evil@'));
    const refused = await cli('restore', join(directory, 'tampered'), '--yes');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('billing.customers.jsonl checksum mismatch');
    const [still] = await t.dataSource.query('SELECT email FROM billing.customers WHERE id = $1', [
      customerA,
    ]);
    expect(still.email).toBe('wrong@example.com');

    const restored = await cli('restore', join(directory, 'a1'), '--yes', '--prune');
    expect(restored).toMatchObject({ code: 0 });
    expect(restored.stdout).toContain('billing.charges: 1 inserted, 0 reset, 0 deleted');
    expect(restored.stdout).toContain('billing.customers: 0 inserted, 1 reset, 0 deleted');
    expect(restored.stdout).toContain('billing.refunds: 0 inserted, 1 reset, 0 deleted');
    expect(restored.stdout).toContain('payouts.kyc_statuses: 0 inserted, 0 reset, 1 deleted');
    expect(restored.stdout).toContain('billing.usage_alert_pending: 0 inserted, 0 reset, 1 deleted');

    expect((await cli('export', customerA, '--out', join(directory, 'a2'))).code).toBe(0);
    expect((await cli('export', 'user_export_b', '--out', join(directory, 'b2'))).code).toBe(0);
    const a2 = await files(join(directory, 'a2'));
    // B: byte-equal, every table.
    expect(await files(join(directory, 'b2'))).toEqual(b1);
    // A: byte-equal, but for the audit row the restore added.
    const { 'platform.audit_log.jsonl': auditAfter, ...restOfA2 } = a2;
    const { 'platform.audit_log.jsonl': auditBefore, ...restOfA1 } = a1;
    expect(restOfA2).toEqual(restOfA1);
    const added = auditAfter.split('\n').filter((line) => line && !auditBefore.includes(line));
    expect(added).toHaveLength(1);
    expect(JSON.parse(added[0])).toMatchObject({ action: 'customer.restored', resource_id: customerA });
    expect(
      auditAfter
        .split('\n')
        .filter((line) => line && !added.includes(line))
        .join('\n'),
    ).toBe(auditBefore.split('\n').filter(Boolean).join('\n'));

    await expectBooksClean(t.app);
  });
});
