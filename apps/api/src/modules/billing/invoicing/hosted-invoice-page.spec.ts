import { createHash } from 'node:crypto';
import type { InvoiceView } from '@astrix/contracts';
import { escapeHtml, HOSTED_INVOICE_PAGE_CSP, renderHostedInvoicePage } from './hosted-invoice-page';

const usd = (amount: number) => ({ amount, currency: 'USD' });

const invoice = {
  id: 'inv_1',
  number: 'INV-2026-000042',
  status: 'open',
  currency: 'USD',
  total: 60000,
  amountPaid: 20000,
  creditApplied: 15000,
  lines: [
    {
      description: 'Seat <img src=x onerror=alert(1)>',
      quantity: 2,
      unitAmount: usd(30000),
      amount: usd(60000),
      discount: usd(0),
      tax: usd(0),
      taxRate: null,
      kind: 'plan',
      periodStart: null,
      periodEnd: null,
    },
  ],
  seller: { name: 'Astrix Trading Ltd.', address: 'London', taxId: null },
  issuedAt: '2026-12-01T00:00:00.000Z',
  paidAt: null,
  creditNotes: [{ amount: usd(5000) }],
} as unknown as InvoiceView;

describe('hosted invoice page', () => {
  const html = renderHostedInvoicePage({
    invoice,
    buyerName: `"><script>alert('x')</script>`,
    pdfUrl: 'inv_1/pdf?token=hil_a.b&x="y"',
    expiresAt: new Date('2027-01-05T10:00:00Z'),
  });

  it('escapes every markup character', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });

  it('shows no markup from the buyer name, line descriptions or the PDF URL', () => {
    expect(html).not.toMatch(/<script|<img|onerror=alert\(1\)>/);
    expect(html).toContain('to &quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;');
    expect(html).toContain('Seat &lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('href="inv_1/pdf?token=hil_a.b&amp;x=&quot;y&quot;"');
  });

  it('settles the amounts like the PDF: total less credit notes, balance applied and payments', () => {
    expect(html).toContain('<th>Total</th><td class="amount">USD\u00a0600.00</td>');
    expect(html).toContain('<th>Credited</th><td class="amount">USD\u00a050.00</td>');
    expect(html).toContain('<th>Applied from balance</th><td class="amount">USD\u00a0150.00</td>');
    expect(html).toContain('<th>Paid</th><td class="amount">USD\u00a0200.00</td>');
    expect(html).toContain('<tr class="due"><th>Amount due</th><td class="amount">USD\u00a0200.00</td>');
  });

  it('allows its one style block by hash and no script at all', () => {
    const style = /<style>([^<]*)<\/style>/.exec(html)?.[1] ?? '';
    const hash = createHash('sha256').update(style).digest('base64');
    expect(HOSTED_INVOICE_PAGE_CSP).toContain(`style-src 'sha256-${hash}'`);
    expect(HOSTED_INVOICE_PAGE_CSP).toContain("default-src 'none'");
    expect(HOSTED_INVOICE_PAGE_CSP).not.toMatch(/script-src|unsafe-inline/);
  });
});
