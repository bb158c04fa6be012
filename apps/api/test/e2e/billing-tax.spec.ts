import type { InvoiceView } from '@astrix/contracts';
import { purchase } from '../support/billing';
import { expectBooksClean } from '../support/books';
import { eventually } from '../support/test-app';
import { type SubscriptionTestApp, startSubscriptionTestApp } from '../support/subscriptions';
import { pdfText } from '../support/pdf';

const FINANCE = { sub: 'staff_finance', roles: ['finance'] };

describe('tax (issue #20): rates as data, customer tax details, tax on invoices, PDF, ledger and report', () => {
  let t: SubscriptionTestApp;
  let planId: string;
  let ukInvoiceId: string;

  beforeAll(async () => {
    t = await startSubscriptionTestApp('2026-03-02T09:00:00Z');
    const product = await t.inject({
      method: 'POST',
      url: '/v1/admin/products',
      headers: t.as({ sub: 'staff_admin', roles: ['admin'] }),
      payload: {
        kind: 'subscription',
        name: 'Tax Plan',
        attributes: { trialDays: 0 },
        prices: [
          { currency: 'GBP', unitAmount: 12_000, recurring: { interval: 'month' } },
          { currency: 'EUR', unitAmount: 10_000, recurring: { interval: 'month' } },
        ],
      },
    });
    expect(product.statusCode).toBe(201);
    planId = (product.json() as { id: string }).id;
    for (const rate of [
      { country: 'GB', name: 'UK VAT', percentage: '20', inclusive: true, validFrom: '2011-01-04' },
      { country: 'DE', name: 'DE USt', percentage: '19', inclusive: true, validFrom: '2021-01-01' },
    ]) {
      const created = await t.inject({
        method: 'POST',
        url: '/v1/admin/tax-rates',
        headers: t.as(FINANCE),
        payload: rate,
      });
      expect(created.statusCode).toBe(201);
    }
  });
  afterAll(() => t.close());

  async function subscribedInvoice(
    user: string,
    currency: string,
    details: Record<string, unknown>,
  ): Promise<InvoiceView> {
    await t.addCard(user);
    const set = await t.inject({
      method: 'PUT',
      url: '/v1/billing/tax-details',
      headers: t.trader(user),
      payload: details,
    });
    expect(set.statusCode).toBe(200);
    const subscribed = await t.subscribe(user, { productId: planId, currency });
    expect(subscribed.statusCode).toBe(201);
    const subscriptionId = (subscribed.json() as { id: string }).id;
    const [row] = await eventually(async () => {
      const rows = await t.invoicesOf(subscriptionId);
      return rows[0]?.status === 'paid' ? rows : undefined;
    });
    const view = await t.inject({
      method: 'GET',
      url: `/v1/billing/invoices/${row.id}`,
      headers: t.trader(user),
    });
    expect(view.statusCode).toBe(200);
    return view.json() as InvoiceView;
  }

  async function pdfOf(user: string, invoiceId: string): Promise<string> {
    const response = await t.inject({
      method: 'GET',
      url: `/v1/billing/invoices/${invoiceId}/pdf`,
      headers: t.trader(user),
    });
    expect(response.statusCode).toBe(200);
    return pdfText(response.rawPayload);
  }

  it('a UK consumer invoice shows 20% VAT inclusive: GBP 120.00 of which GBP 20.00 VAT', async () => {
    const invoice = await subscribedInvoice('user_tax_uk', 'GBP', { country: 'gb', postalCode: 'EC3M 3BY' });
    ukInvoiceId = invoice.id;
    expect(invoice).toMatchObject({
      currency: 'GBP',
      subtotal: 12_000,
      tax: 2_000,
      total: 12_000,
      amountPaid: 12_000,
    });
    expect(invoice.taxDetails).toEqual({
      treatment: 'standard',
      country: 'GB',
      region: null,
      customerVatId: null,
      note: null,
    });
    expect(invoice.lines[0]).toMatchObject({
      amount: { amount: 12_000, currency: 'GBP' },
      tax: { amount: 2_000, currency: 'GBP' },
      taxRate: { percentage: '20', inclusive: true },
    });
    const text = await pdfOf('user_tax_uk', invoice.id);
    expect(text).toContain('Tax 20% (included): GBP 20.00');
    expect(text).toContain('Tax (20%, included)');
  });

  it('an EU B2B invoice with a valid VAT id shows reverse charge and zero tax', async () => {
    const invoice = await subscribedInvoice('user_tax_de', 'EUR', { country: 'DE', vatId: 'de 123 456 789' });
    expect(invoice).toMatchObject({ currency: 'EUR', subtotal: 10_000, tax: 0, total: 10_000 });
    expect(invoice.taxDetails).toMatchObject({
      treatment: 'reverse_charge',
      country: 'DE',
      customerVatId: 'DE123456789',
    });
    expect(invoice.taxDetails?.note).toContain('Reverse charge');
    expect(invoice.lines[0]).toMatchObject({ tax: { amount: 0, currency: 'EUR' }, taxRate: null });
    const text = await pdfOf('user_tax_de', invoice.id);
    expect(text).toContain('VAT ID: DE123456789');
    expect(text).toContain('Tax (reverse charge)');
    expect(text).toContain('Reverse charge: no VAT charged');
  });

  it('a checkout by the UK consumer is taxed too: the price charged holds 20% VAT, shown on the receipt', async () => {
    const { charge } = await purchase(
      t,
      { sub: 'user_tax_uk', email: 'user_tax_uk@example.com' },
      'evaluation-25k',
    );
    const amount = Number(charge.amount);
    const receipt = await eventually(async () => {
      const [row] = (await t.dataSource.query('SELECT id FROM billing.invoices WHERE charge_id = $1', [
        charge.id,
      ])) as Array<{ id: string }>;
      return row;
    });
    const view = await t.inject({
      method: 'GET',
      url: `/v1/billing/invoices/${receipt.id}`,
      headers: t.trader('user_tax_uk'),
    });
    const invoice = view.json() as InvoiceView;
    // Inclusive: the total is the price; the tax is the sixth of it (rounded half-even).
    expect(invoice).toMatchObject({ total: amount, tax: Math.round(amount / 6) });
    expect(invoice.taxDetails).toMatchObject({ treatment: 'standard', country: 'GB' });
    expect(invoice.lines[0].taxRate).toEqual({ percentage: '20', inclusive: true });
  });

  it('refuses a VAT id in the wrong format for its country, and changes nothing', async () => {
    await t.addCard('user_tax_bad');
    const refused = await t.inject({
      method: 'PUT',
      url: '/v1/billing/tax-details',
      headers: t.trader('user_tax_bad'),
      payload: { country: 'DE', vatId: 'DE12345' },
    });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().error).toMatchObject({
      code: 'VALIDATION_ERROR',
      details: [{ field: 'vatId', message: 'DE12345 is not in the format of a DE VAT id' }],
    });
    const details = await t.inject({
      method: 'GET',
      url: '/v1/billing/tax-details',
      headers: t.trader('user_tax_bad'),
    });
    expect(details.json()).toMatchObject({ country: null, vatId: null });
  });

  it('rates are managed by finance, audited, never overlapping', async () => {
    const overlapping = await t.inject({
      method: 'POST',
      url: '/v1/admin/tax-rates',
      headers: t.as(FINANCE),
      payload: {
        country: 'GB',
        name: 'UK VAT',
        percentage: '17.5',
        inclusive: true,
        validFrom: '2026-01-01',
      },
    });
    expect(overlapping.statusCode).toBe(409);
    const support = await t.inject({
      method: 'POST',
      url: '/v1/admin/tax-rates',
      headers: t.as({ sub: 'staff_support', roles: ['support'] }),
      payload: { country: 'FR', name: 'FR TVA', percentage: '20', inclusive: true, validFrom: '2026-01-01' },
    });
    expect(support.statusCode).toBe(403);
    const audit = await t.dataSource.query(
      `SELECT action FROM platform.audit_log WHERE resource_type = 'tax_rate' ORDER BY 1`,
    );
    expect(audit).toEqual([{ action: 'tax_rate.created' }, { action: 'tax_rate.created' }]);
  });

  it('a credit note of half the UK invoice gives back half its VAT, with lines, listed for the customer', async () => {
    const issued = await t.inject({
      method: 'POST',
      url: `/v1/admin/invoices/${ukInvoiceId}/credit-notes`,
      headers: { ...t.as(FINANCE), 'idempotency-key': 'cn-uk-half' },
      payload: { amount: 6_000, reason: 'Goodwill: half of the first month' },
    });
    expect(issued.statusCode).toBe(201);
    const listed = await t.inject({
      method: 'GET',
      url: '/v1/billing/credit-notes',
      headers: t.trader('user_tax_uk'),
    });
    expect(listed.statusCode).toBe(200);
    const [note] = (listed.json() as { data: Array<Record<string, unknown>> }).data;
    expect(note).toMatchObject({
      invoiceId: ukInvoiceId,
      amount: { amount: 6_000, currency: 'GBP' },
      tax: { amount: 1_000, currency: 'GBP' },
      lines: [
        {
          invoiceLinePosition: 1,
          amount: { amount: 6_000, currency: 'GBP' },
          tax: { amount: 1_000, currency: 'GBP' },
          taxRate: { percentage: '20', inclusive: true },
        },
      ],
    });
    expect(String(note.number)).toMatch(/^AST-CN-2026-\d{6}$/);
    const invoice = await t.inject({
      method: 'GET',
      url: `/v1/billing/invoices/${ukInvoiceId}`,
      headers: t.trader('user_tax_uk'),
    });
    expect((invoice.json() as InvoiceView).creditNotes).toEqual([
      expect.objectContaining({ id: note.id, tax: { amount: 1_000, currency: 'GBP' } }),
    ]);
    const others = await t.inject({
      method: 'GET',
      url: '/v1/billing/credit-notes',
      headers: t.trader('user_tax_de'),
    });
    expect((others.json() as { data: unknown[] }).data).toEqual([]);
  });

  it('the tax report per jurisdiction equals the tax payable account; CSV too; the books are clean', async () => {
    const report = await t.inject({
      method: 'GET',
      url: '/v1/admin/reports/tax?from=2026-03-01&to=2026-04-01',
      headers: t.as(FINANCE),
    });
    expect(report.statusCode).toBe(200);
    const body = report.json() as {
      rows: Array<Record<string, unknown>>;
      totals: Array<{ currency: string; tax: number }>;
    };
    expect(body.rows).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          country: 'GB',
          treatment: 'standard',
          percentage: '20',
          currency: 'GBP',
          // The invoice (10,000 + 2,000 VAT) less the credit note (5,000 + 1,000 VAT).
          documents: 2,
          taxableAmount: 5_000,
          tax: 1_000,
        }),
        expect.objectContaining({
          country: 'DE',
          treatment: 'reverse_charge',
          currency: 'EUR',
          taxableAmount: 10_000,
          tax: 0,
        }),
      ]),
    );
    const payable = (await t.dataSource.query(
      `SELECT currency, SUM(credit - debit)::text AS balance FROM billing.journal_lines
        WHERE account = 'tax_payable' GROUP BY currency ORDER BY currency`,
    )) as Array<{ currency: string; balance: string }>;
    const reported = body.totals
      .filter((total) => total.tax !== 0)
      .map((total) => ({ currency: total.currency, balance: String(total.tax) }));
    expect(payable).toEqual(reported);
    const revenue = (await t.dataSource.query(
      `SELECT SUM(credit - debit)::text AS net FROM billing.journal_lines
        WHERE currency = 'GBP' AND account IN ('revenue_subscription', 'deferred_revenue', 'discounts', 'refunds')`,
    )) as Array<{ net: string }>;
    expect(revenue[0].net).toBe('5000');

    const csv = await t.inject({
      method: 'GET',
      url: '/v1/admin/reports/tax?from=2026-03-01&to=2026-04-01',
      headers: { ...t.as(FINANCE), accept: 'text/csv' },
    });
    expect(csv.headers['content-type']).toContain('text/csv');
    expect(csv.body.split('\r\n')[0]).toBe(
      'country,region,treatment,tax_rate_id,percentage,inclusive,currency,documents,taxable_amount_minor,tax_minor',
    );
    expect(csv.body).toContain(',standard,');
    await expectBooksClean(t.app);
  });
});
