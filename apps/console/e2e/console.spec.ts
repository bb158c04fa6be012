import { purchase } from '../../api/test/support/billing';
import { eventually } from '../../api/test/support/test-app';
import {
  accessibilityViolations,
  type ConsoleHarness,
  openCustomer,
  screenshot,
  signIn,
  startConsole,
} from './support/console';

/** Support's everyday path in real Chromium against the real API: find a customer, refund, see it audited. */
describe('console: support', () => {
  let h: ConsoleHarness;
  beforeAll(async () => {
    h = await startConsole();
  });
  afterAll(() => h?.close());

  it('finds a customer who bought an evaluation, refunds part of it, and sees the refund and its audit entry', async () => {
    const trader = { sub: 'user_console_refund', email: 'refund.me@example.com' };
    const { charge } = await purchase(h.t, trader, 'evaluation-50k');
    const page = await h.newPage();
    await page.goto('/console/');
    await page.getByRole('heading', { name: /Sandbox sign-in/ }).waitFor();
    await screenshot(page, 'sign-in');
    expect(await accessibilityViolations(page)).toEqual([]);
    await signIn(page, 'support', 'support_alice');
    await screenshot(page, 'customers');
    await openCustomer(page, 'refund.me', 'refund.me@example.com');

    const charges = page.getByRole('table', { name: 'Charges' });
    const row = charges.getByRole('row').filter({ hasText: String(charge.id) });
    await row.getByRole('button', { name: 'Refund' }).click();
    const dialog = page.getByRole('dialog', { name: `Refund charge ${String(charge.id)}` });
    await dialog.getByRole('textbox', { name: /Amount/ }).fill('12.50');
    await dialog.getByRole('textbox', { name: 'Reason' }).fill('Goodwill: platform outage on 5 December');
    await screenshot(page, 'refund-dialog');
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await dialog.waitFor({ state: 'hidden' });

    const refunds = page.getByRole('table', { name: 'Refunds' });
    await refunds
      .getByRole('row')
      .filter({ hasText: 'Goodwill: platform outage' })
      .filter({ hasText: '$12.50' })
      .waitFor();
    await eventually(async () => {
      await page.reload();
      await page.getByRole('table', { name: 'Charges' }).waitFor();
      return (await page.getByRole('table', { name: 'Charges' }).getByText('$12.50').count()) > 0;
    }, 20_000);
    await screenshot(page, 'customer-360');

    await page.getByRole('tab', { name: 'Audit trail' }).click();
    const audit = page.getByRole('table', { name: 'Audit trail' });
    await audit
      .getByRole('row')
      .filter({ hasText: 'user:support_alice' })
      .filter({ hasText: /refund/ })
      .first()
      .waitFor();
    await screenshot(page, 'audit-trail');
    await page.getByRole('tab', { name: 'Events' }).click();
    await page
      .getByRole('table', { name: 'Events' })
      .getByText(/billing\./)
      .first()
      .waitFor();
    await page.getByRole('tab', { name: 'Audit trail' }).click();

    expect(await accessibilityViolations(page)).toEqual([]);
  });
});
