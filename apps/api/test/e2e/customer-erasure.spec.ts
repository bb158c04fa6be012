import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { customerTables } from '../../src/modules/admin/customer-data/customer-data-map';
import { readCustomerRows, withClient } from '../../src/modules/admin/customer-data/customer-bundle-io';
import { BillingTestApp, purchase, startBillingTestApp } from '../support/billing';
import { expectBooksClean } from '../support/books';
import { DIST, runBuilt } from '../support/cli';
import { tableCounts } from '../support/table-counts';
import { TEST_JWT_SECRET } from '../support/tokens';

jest.setTimeout(180_000);

const EMAIL = 'erase.me@example.com';

/**
 * `pnpm cli customer erase ID --reason` (built CLI): the person's email is a random token wherever
 * it was written in their rows (customer, invoices, events, Stripe event payloads), the checkout IP
 * addresses are gone; every financial record stays, amounts unchanged, the books clean; audited
 * with the reason; another customer's rows untouched; a second run changes nothing.
 */
describe('customer erase (built CLI)', () => {
  let t: BillingTestApp;
  const cli = (...args: string[]) =>
    runBuilt('cli.js', ['customer', ...args], {
      DATABASE_URL: t.database.url,
      AUTH_JWT_SECRET: TEST_JWT_SECRET,
    });
  const rowsOf = (who: { customerId: string; userId: string }) =>
    withClient(t.database.url, (client) => readCustomerRows(client, who));

  beforeAll(async () => {
    if (!existsSync(join(DIST, 'cli.js'))) throw new Error('apps/api/dist is missing: build it first');
    t = await startBillingTestApp();
  });
  afterAll(() => t.close());

  it('pseudonymizes the person and keeps the financial records', async () => {
    const a = await purchase(t, { sub: 'user_erase_a', email: EMAIL }, 'evaluation-25k', '4242424242424242', {
      headers: { 'x-forwarded-for': '203.0.113.77' },
    });
    await purchase(t, { sub: 'user_erase_b', email: 'keep.me@example.com' }, 'evaluation-25k');
    await expectBooksClean(t.app);
    const customerA = { customerId: String(a.charge.customer_id), userId: 'user_erase_a' };
    const [{ id: customerB }] = await t.dataSource.query(
      `SELECT id FROM billing.customers WHERE user_id = 'user_erase_b'`,
    );
    const who = { customerId: String(customerB), userId: 'user_erase_b' };
    await t.dataSource.query(
      `UPDATE billing.customers SET billing_name = 'Jane Erasable', billing_address = '1 Secret Lane, London N1 1AA' WHERE id = $1`,
      [customerA.customerId],
    );
    const before = await tableCounts(t.database.url);
    const otherBefore = await rowsOf(who);
    const invoicesBefore = await t.dataSource.query(
      'SELECT id, total, amount_paid, status FROM billing.invoices WHERE customer_id = $1 ORDER BY id',
      [customerA.customerId],
    );
    expect(JSON.stringify([...(await rowsOf(customerA)).values()])).toContain(EMAIL);

    const erased = await cli('erase', customerA.customerId, '--reason', 'GDPR request 2026-118', '--yes');
    expect(erased).toMatchObject({ code: 0 });
    const [{ email, billing_name: name, billing_address: address }] = await t.dataSource.query(
      'SELECT email, billing_name, billing_address FROM billing.customers WHERE id = $1',
      [customerA.customerId],
    );
    expect(email).toMatch(/^erased-[0-9a-f]{20}@erased\.invalid$/);
    expect([name, address]).toEqual(['Erased customer', null]);
    expect(erased.stdout).toContain(`now ${String(email)}; financial records kept`);

    // The email is nowhere in the person's changeable rows (append-only ones hold ids, not contact data).
    const after = await rowsOf(customerA);
    for (const rule of customerTables().filter((table) => !table.appendOnly)) {
      const text = (after.get(rule.table) ?? []).join('\n');
      expect([
        rule.table,
        text.includes(EMAIL),
        text.includes('Jane Erasable'),
        text.includes('Secret Lane'),
      ]).toEqual([rule.table, false, false, false]);
    }
    expect((after.get('billing.invoices') ?? []).join('\n')).toContain(String(email));
    const [stripeEvents] = await t.dataSource.query(
      `SELECT count(*)::int AS n FROM billing.stripe_webhook_events WHERE strpos(payload::text, $1) > 0`,
      [EMAIL],
    );
    expect(stripeEvents.n).toBe(0);
    const [sessions] = await t.dataSource.query(
      'SELECT count(*)::int AS n FROM billing.checkout_sessions WHERE customer_id = $1 AND client_ip IS NOT NULL',
      [customerA.customerId],
    );
    expect(sessions.n).toBe(0);

    // Every financial record kept, amounts and statuses as they were; nothing deleted anywhere.
    const counts = await tableCounts(t.database.url);
    expect({ ...counts, 'platform.audit_log': 0 }).toEqual({ ...before, 'platform.audit_log': 0 });
    expect(counts['platform.audit_log']).toBe(before['platform.audit_log'] + 1);
    expect(
      await t.dataSource.query(
        'SELECT id, total, amount_paid, status FROM billing.invoices WHERE customer_id = $1 ORDER BY id',
        [customerA.customerId],
      ),
    ).toEqual(invoicesBefore);
    const [audit] = await t.dataSource.query(
      `SELECT actor_type, after FROM platform.audit_log WHERE action = 'customer.erased' AND resource_id = $1`,
      [customerA.customerId],
    );
    expect(audit.after).toMatchObject({ reason: 'GDPR request 2026-118', pseudonym: email });
    expect(JSON.stringify(audit)).not.toContain(EMAIL);

    // Another customer's rows: exactly as they were.
    expect(await rowsOf(who)).toEqual(otherBefore);

    const again = await cli('erase', 'user_erase_a', '--reason', 'repeat', '--yes');
    expect(again).toMatchObject({ code: 0 });
    expect(again.stdout).toContain('already erased');
    await expectBooksClean(t.app);
  });
});
