import type { Page } from 'playwright-core';
import { productBySlug, purchase } from '../../api/test/support/billing';
import { idempotent } from '../../api/test/support/idempotency';
import { fundedAccount } from '../../api/test/support/payouts';
import { eventually, issueApiKey } from '../../api/test/support/test-app';
import {
  accessibilityViolations,
  type ConsoleHarness,
  screenshot,
  signIn,
  startConsole,
} from './support/console';

/** Role-aware pages in real Chromium: four-eyes payouts for finance, none for support, and fraud review. */
describe('console: payouts and fraud', () => {
  let h: ConsoleHarness;
  beforeAll(async () => {
    h = await startConsole();
  });
  afterAll(() => h?.close());

  async function largePayout(sub: string): Promise<{ id: string; amount: number }> {
    const t = h.t;
    const platformKey = await issueApiKey(t, 'trading-platform', ['accounts:write']);
    const identityKey = await issueApiKey(t, 'identity', ['kyc:write']);
    const product = await productBySlug(t, 'evaluation-50k');
    const rules = await t.inject({
      method: 'PUT',
      url: `/v1/admin/payouts/rules/${product.id}`,
      headers: t.as({ sub: 'finance_setup', roles: ['finance'] }),
      payload: { minTradingDays: 0, cycleDays: 0, fourEyesAbove: 100_000, capPerCycle: 300_000 },
    });
    if (rules.statusCode !== 200) throw new Error(`payout rules refused: ${rules.body}`);
    const account = await fundedAccount(t, { platformKey, identityKey }, sub, 250_000);
    const requested = await t.inject({
      method: 'POST',
      url: '/v1/payouts',
      headers: idempotent(t.as({ sub })),
      payload: { method: 'stripe_connect', accountId: account.id },
    });
    if (requested.statusCode !== 201) throw new Error(`payout refused: ${requested.body}`);
    return requested.json() as { id: string; amount: number };
  }

  async function approveAs(page: Page, payoutId: string, button: string): Promise<void> {
    const row = page
      .getByRole('table', { name: 'Payouts requested' })
      .getByRole('row')
      .filter({ hasText: payoutId });
    await row.getByRole('button', { name: button }).click();
    const dialog = page.getByRole('dialog', { name: `Approve payout ${payoutId}` });
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await dialog.waitFor({ state: 'hidden' });
  }

  it('pays a large payout only after two different finance users approve; support is not offered payouts', async () => {
    const payout = await largePayout('user_console_payout');

    const support = await h.newPage();
    await signIn(support, 'support', 'support_bob');
    await support.getByRole('navigation', { name: 'Console pages' }).waitFor();
    expect(await support.getByRole('link', { name: 'Payouts' }).count()).toBe(0);
    await support.goto('/console/payouts');
    await support.getByText('Payouts are reviewed by finance.').waitFor();
    expect(await support.getByRole('button', { name: /Approve/ }).count()).toBe(0);

    const first = await h.newPage();
    await signIn(first, 'finance', 'finance_carol');
    await first.getByRole('link', { name: 'Payouts' }).click();
    const row = first
      .getByRole('table', { name: 'Payouts requested' })
      .getByRole('row')
      .filter({ hasText: payout.id });
    await row.getByText('four-eyes').waitFor();
    await approveAs(first, payout.id, 'Approve');
    await row.getByText('approved by finance_carol').waitFor();
    await row.getByText('You approved; a second finance user must approve.').waitFor();
    await screenshot(first, 'payout-first-approval');
    expect(await accessibilityViolations(first)).toEqual([]);

    const second = await h.newPage();
    await signIn(second, 'finance', 'finance_dan');
    await second.getByRole('link', { name: 'Payouts' }).click();
    const secondRow = second
      .getByRole('table', { name: 'Payouts requested' })
      .getByRole('row')
      .filter({ hasText: payout.id });
    await secondRow.getByText('approved by finance_carol').waitFor();
    await secondRow.getByRole('button', { name: 'Second approval' }).click();
    const dialog = second.getByRole('dialog', { name: `Approve payout ${payout.id}` });
    await dialog.getByText('finance_carol approved first').waitFor();
    await screenshot(second, 'payout-second-approval');
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await dialog.waitFor({ state: 'hidden' });

    const approvedBy = await eventually(async () => {
      const view = await h.t.inject({
        method: 'GET',
        url: `/v1/payouts/${payout.id}`,
        headers: h.t.as({ sub: 'user_console_payout' }),
      });
      const body = view.json() as { status: string; approvals: Array<{ approvedBy: string }> };
      return ['approved', 'processing', 'paid'].includes(body.status) ? body.approvals : undefined;
    });
    expect(approvedBy.map((approval) => approval.approvedBy)).toEqual(['finance_carol', 'finance_dan']);
  });

  it('confirms a fraud signal and blocks the customer', async () => {
    // 4000000000009235: Stripe's test card that succeeds with an elevated Radar risk → an open signal.
    await purchase(
      h.t,
      { sub: 'user_console_fraud', email: 'risky@example.com' },
      'evaluation-25k',
      '4000000000009235',
    );
    const page = await h.newPage();
    await signIn(page, 'support', 'support_erin');
    await page.getByRole('textbox', { name: 'Find a customer' }).fill('risky@example.com');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('link', { name: 'risky@example.com' }).click();
    await page.getByRole('tab', { name: 'Fraud signals' }).click();
    const signal = page
      .getByRole('table', { name: 'Fraud signals' })
      .getByRole('row')
      .filter({ hasText: 'radar_elevated' });
    await signal.getByRole('button', { name: 'Confirm fraud' }).click();
    const confirm = page.getByRole('dialog', { name: /Confirm signal/ });
    await confirm.getByRole('textbox', { name: 'Notes' }).fill('Issuer confirmed the card was stolen');
    await confirm.getByRole('button', { name: 'Confirm' }).click();
    await confirm.waitFor({ state: 'hidden' });
    await signal.getByText('confirmed').first().waitFor();

    await page.getByRole('button', { name: 'Block customer' }).click();
    const block = page.getByRole('dialog', { name: 'Block this customer' });
    await block.getByRole('textbox', { name: 'Reason' }).fill('Confirmed stolen card');
    await screenshot(page, 'block-customer');
    await block.getByRole('button', { name: 'Confirm' }).click();
    await block.waitFor({ state: 'hidden' });
    await page.getByRole('button', { name: 'Unblock customer' }).waitFor();
    expect(await page.getByText('blocked', { exact: true }).count()).toBeGreaterThan(0);

    const [customer] = (await h.t.dataSource.query(
      "SELECT fraud_status FROM billing.customers WHERE user_id = 'user_console_fraud'",
    )) as Array<{ fraud_status: string }>;
    expect(customer.fraud_status).toBe('blocked');
  });

  it('shows finance the revenue chart, MRR, trial balance and billing runs; an admin sees a new API key once', async () => {
    await purchase(h.t, { sub: 'user_console_report' }, 'evaluation-50k');
    // The revenue report reads the ledger, which the workers post to after the payment.
    const from = new Date(Date.now() - 40 * 24 * 3600 * 1000).toISOString();
    const to = new Date(Date.now() + 24 * 3600 * 1000).toISOString();
    await eventually(async () => {
      const report = await h.t.inject({
        method: 'GET',
        url: `/v1/admin/reports/revenue?from=${from}&to=${to}&groupBy=month`,
        headers: h.t.as({ sub: 'finance_check', roles: ['finance'] }),
      });
      return (report.json() as { totals: Array<{ charges: number }> }).totals.some(
        (total) => total.charges > 0,
      );
    }, 20_000);
    const finance = await h.newPage();
    await signIn(finance, 'finance', 'finance_frank');
    await finance.getByRole('link', { name: 'Reports' }).click();
    await finance.getByRole('figure', { name: /Net revenue per month in USD/ }).waitFor();
    await finance.getByRole('table', { name: 'Totals' }).waitFor();
    await finance.getByRole('table', { name: 'Trial balance' }).waitFor();
    await screenshot(finance, 'reports');
    expect(await accessibilityViolations(finance)).toEqual([]);
    await finance.getByRole('link', { name: 'Deferred revenue & reconciliation' }).click();
    await finance.getByText(/Open reconciliation exceptions/).waitFor();
    await finance.getByRole('heading', { name: 'Deferred revenue' }).waitFor();
    await screenshot(finance, 'books');
    await finance.getByRole('link', { name: 'Dunning & billing runs' }).click();
    await finance.getByRole('button', { name: 'Start a billing run' }).click();
    const start = finance.getByRole('dialog', { name: 'Start a billing run' });
    await start.getByRole('button', { name: 'Confirm' }).click();
    await start.waitFor({ state: 'hidden' });
    await finance.getByRole('table', { name: 'Billing runs' }).getByText('finance_frank').first().waitFor();
    await screenshot(finance, 'billing-runs');

    const admin = await h.newPage();
    await signIn(admin, 'admin', 'admin_grace');
    await admin.getByRole('link', { name: 'API keys & webhooks' }).click();
    await admin.getByRole('textbox', { name: 'Name' }).fill('usage-reporter');
    await admin.getByRole('checkbox', { name: 'usage:write' }).check();
    await admin.getByRole('button', { name: 'Issue key' }).click();
    const key = await admin.getByLabel('New API key', { exact: true }).textContent();
    expect(key).toMatch(/^ak_/);
    await admin.getByRole('table', { name: 'API keys' }).getByText('usage-reporter').waitFor();
    await screenshot(admin, 'api-keys');
    expect(await accessibilityViolations(admin)).toEqual([]);
    await admin.getByRole('button', { name: 'I have stored it' }).click();
    await admin.reload();
    await admin.getByRole('table', { name: 'API keys' }).getByText('usage-reporter').waitFor();
    expect(await admin.getByText(key ?? 'missing').count()).toBe(0);
  });
});
