import type { InvoiceView } from '@astrix/contracts';
import { productBySlug } from '../../api/test/support/billing';
import { eventually } from '../../api/test/support/test-app';
import {
  accessibilityViolations,
  type ConsoleHarness,
  openCustomer,
  screenshot,
  signIn,
  startConsole,
} from './support/console';

/** The 360's document and subscription actions in real Chromium: invoice PDF, pause and resume, regenerate. */
describe('console: invoice PDFs, pause, regenerate', () => {
  let h: ConsoleHarness;
  beforeAll(async () => {
    h = await startConsole();
  });
  afterAll(() => h?.close());

  /** A trader with a card and a monthly Pro subscription; `declined` makes its first payment fail. */
  async function subscriber(
    trader: { sub: string; email: string },
    declined = false,
  ): Promise<{ subscriptionId: string; invoice: InvoiceView }> {
    const t = h.t;
    const headers = t.as(trader);
    const card = await t.inject({
      method: 'POST',
      url: '/v1/billing/payment-methods/setup-intent',
      headers,
      payload: { paymentMethodId: 'pm_card_visa' },
    });
    if (card.statusCode !== 201) throw new Error(`card refused: ${card.body}`);
    if (declined) t.fake.controls.declineNextPayments({ count: 1, declineCode: 'insufficient_funds' });
    const created = await t.inject({
      method: 'POST',
      url: '/v1/billing/subscriptions',
      headers,
      payload: { productId: (await productBySlug(t, 'pro-monthly')).id, currency: 'USD', trialDays: 0 },
    });
    if (created.statusCode !== 201) throw new Error(`subscribe refused: ${created.body}`);
    // Paid, or (declined) open after its first attempt failed.
    const invoice = await eventually(async () => {
      const listed = await t.inject({ method: 'GET', url: '/v1/billing/invoices', headers });
      const [first] = (listed.json() as { data: InvoiceView[] }).data;
      if (!first) return undefined;
      if (!declined) return first.status === 'paid' ? first : undefined;
      const [row] = (await t.dataSource.query('SELECT attempt_count FROM billing.invoices WHERE id = $1', [
        first.id,
      ])) as Array<{ attempt_count: number }>;
      return first.status === 'open' && row.attempt_count > 0 ? first : undefined;
    }, 20_000);
    return { subscriptionId: created.json().id as string, invoice };
  }

  it('support downloads an invoice PDF, pauses a subscription with a reason and sees it audited, then resumes it', async () => {
    const trader = { sub: 'user_console_pause', email: 'pause.me@example.com' };
    const { subscriptionId, invoice } = await subscriber(trader);
    const page = await h.newPage();
    await signIn(page, 'support', 'support_carol');
    await openCustomer(page, 'pause.me', 'pause.me@example.com');

    await page.getByRole('tab', { name: 'Invoices' }).click();
    const invoices = page.getByRole('table', { name: 'Invoices' });
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      invoices.getByRole('button', { name: `PDF of ${invoice.number}` }).click(),
    ]);
    expect(download.suggestedFilename()).toBe(`${invoice.number}.pdf`);
    const stream = await download.createReadStream();
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).subarray(0, 5).toString('latin1')).toBe('%PDF-');

    await page.getByRole('tab', { name: 'Subscriptions' }).click();
    const row = page
      .getByRole('table', { name: 'Subscriptions' })
      .getByRole('row')
      .filter({ hasText: subscriptionId });
    await row.getByRole('button', { name: 'Pause' }).click();
    const dialog = page.getByRole('dialog', { name: `Pause ${subscriptionId}` });
    // The reason is required: confirming without one is refused by the form, nothing is sent.
    const reason = dialog.getByRole('textbox', { name: 'Reason' });
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    expect(await reason.evaluate((element) => (element as HTMLTextAreaElement).validity.valueMissing)).toBe(
      true,
    );
    expect(await dialog.isVisible()).toBe(true);
    await reason.fill('Customer travelling until June, asked by phone');
    await screenshot(page, 'pause-dialog');
    expect(await accessibilityViolations(page)).toEqual([]);
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await row.filter({ hasText: 'paused' }).getByRole('button', { name: 'Resume' }).waitFor();

    await page.getByRole('tab', { name: 'Audit trail' }).click();
    await page
      .getByRole('table', { name: 'Audit trail' })
      .getByRole('row')
      .filter({ hasText: 'user:support_carol' })
      .filter({ hasText: 'subscription.paused' })
      .waitFor();
    const [audit] = await h.t.dataSource.query(
      `SELECT after FROM platform.audit_log WHERE action = 'subscription.paused' AND resource_id = $1`,
      [subscriptionId],
    );
    expect(audit.after.reason).toBe('Customer travelling until June, asked by phone');

    await page.getByRole('tab', { name: 'Subscriptions' }).click();
    await row.getByRole('button', { name: 'Resume' }).click();
    const resume = page.getByRole('dialog', { name: `Resume ${subscriptionId}` });
    await resume.getByRole('textbox', { name: 'Reason' }).fill('Customer is back');
    await resume.getByRole('button', { name: 'Confirm' }).click();
    await resume.waitFor({ state: 'hidden' });
    await row.filter({ hasText: 'active' }).getByRole('button', { name: 'Pause' }).waitFor();
  });

  it('regenerate a voided invoice is offered to finance, not support, and links the replacement', async () => {
    const trader = { sub: 'user_console_regen', email: 'regen.me@example.com' };
    const { invoice } = await subscriber(trader, true);
    const voided = await h.t.inject({
      method: 'POST',
      url: `/v1/admin/invoices/${invoice.id}/void`,
      headers: h.t.as({ sub: 'finance_setup', roles: ['finance'] }),
      payload: { reason: 'first payment declined, wrong card' },
    });
    if (voided.statusCode !== 200) throw new Error(`void refused: ${voided.body}`);

    const support = await h.newPage();
    await signIn(support, 'support', 'support_dave');
    await openCustomer(support, 'regen.me', 'regen.me@example.com');
    await support.getByRole('tab', { name: 'Invoices' }).click();
    const supportRow = support
      .getByRole('table', { name: 'Invoices' })
      .getByRole('row')
      .filter({ hasText: invoice.number });
    await supportRow.getByRole('button', { name: `PDF of ${invoice.number}` }).waitFor();
    expect(await supportRow.getByRole('button', { name: 'Regenerate' }).count()).toBe(0);

    const finance = await h.newPage();
    await signIn(finance, 'finance', 'finance_erin');
    await openCustomer(finance, 'regen.me', 'regen.me@example.com');
    await finance.getByRole('tab', { name: 'Invoices' }).click();
    const row = finance
      .getByRole('table', { name: 'Invoices' })
      .getByRole('row')
      .filter({ hasText: invoice.number });
    await row.getByRole('button', { name: 'Regenerate' }).click();
    const dialog = finance.getByRole('dialog', { name: `Regenerate ${invoice.number}` });
    await dialog.getByRole('textbox', { name: 'Corrected quantities' }).fill('1=2');
    await dialog
      .getByRole('textbox', { name: 'Reason' })
      .fill('Customer replaced the card and has two seats');
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await dialog.waitFor({ state: 'hidden' });

    await row.filter({ hasText: 'regenerated as' }).waitFor();
    expect(await row.getByRole('button', { name: 'Regenerate' }).count()).toBe(0);
    const [replacement] = await h.t.dataSource.query(
      'SELECT number FROM billing.invoices WHERE regenerated_from_invoice_id = $1',
      [invoice.id],
    );
    await row.filter({ hasText: `regenerated as ${replacement.number}` }).waitFor();
    await finance
      .getByRole('table', { name: 'Invoices' })
      .getByRole('row')
      .filter({ hasText: replacement.number })
      .filter({ hasText: `replaces ${invoice.number}` })
      .filter({ hasText: '$98.00' })
      .waitFor();
  });
});
