import type { CreditNoteView, InvoiceLineView, InvoiceView } from '@astrix/contracts';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { type BuyerDetails, renderInvoicePdf } from './invoice-pdf';
import { renderCreditNotePdf } from './pdf/credit-note-pdf';

const money = (amount: number) => ({ amount, currency: 'USD' });

function line(index: number): InvoiceLineView {
  return {
    id: `il_${index}`,
    description: `Seat ${index} — Profi-Konto für Händler`,
    quantity: 1,
    unitAmount: money(1000),
    discount: money(0),
    amount: money(1000),
    tax: money(0),
    taxRate: null,
    kind: 'plan',
    periodStart: null,
    periodEnd: null,
  } as InvoiceLineView;
}

/** A subscription invoice of 60 lines (USD 600.00), partly paid from the customer balance. */
function invoice(overrides: Partial<InvoiceView> = {}): InvoiceView {
  return {
    id: 'inv_1',
    number: 'INV-2026-000042',
    status: 'open',
    userId: 'user_internal_7f3a',
    chargeId: null,
    currency: 'USD',
    subtotal: 60000,
    discount: 0,
    tax: 0,
    total: 60000,
    amountPaid: 20000,
    lines: Array.from({ length: 60 }, (_, index) => line(index + 1)),
    seller: { name: 'Astrix Trading Ltd.', address: '20 Fenchurch Street, London', taxId: 'GB 394 1275 60' },
    customer: { userId: 'user_internal_7f3a', email: 'ana@example.com' },
    issuedAt: '2026-12-01T00:00:00.000Z',
    paidAt: null,
    billingReason: 'subscription_cycle',
    subscriptionId: 'sub_1',
    periodStart: '2026-12-01T00:00:00.000Z',
    periodEnd: '2027-01-01T00:00:00.000Z',
    creditApplied: 15000,
    amountDue: 25000,
    actionUrl: null,
    taxDetails: null,
    ...overrides,
  } as InvoiceView;
}

const BUYER: BuyerDetails = {
  name: 'Анна Петрова (Άννα Πέτροβα)',
  address: 'ул. Тверская, д. 1, кв. 5\nМосква',
  email: 'ana@example.com',
  taxId: 'DE123456789',
  country: 'DE',
  region: null,
  postalCode: '10115',
};

/** The PDF's text as pdf.js extracts it (scripts/pdf-text.mjs, in a process of its own). */
async function textOf(pdf: Buffer): Promise<{ text: string; pages: string[] }> {
  const run = spawnSync(process.execPath, [join(__dirname, '../../../../scripts/pdf-text.mjs')], {
    input: pdf,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (run.status !== 0) throw new Error(`pdf-text failed: ${run.stderr.toString()}`);
  return JSON.parse(run.stdout.toString('utf8')) as { text: string; pages: string[] };
}

describe('invoice and credit note PDFs', () => {
  it('continue a 60-line invoice over pages with the table header repeated, and print the buyer as written', async () => {
    const pdf = await renderInvoicePdf(invoice(), { buyer: BUYER, creditNotes: [] });
    const { text, pages } = await textOf(pdf);
    expect(pages.length).toBeGreaterThanOrEqual(2);
    for (const [index, page] of pages.entries()) {
      expect(page).toContain('Description');
      expect(page).toContain(`page ${index + 1} of ${pages.length}`);
    }
    expect(pages[1]).toContain('INV-2026-000042 (continued)');
    for (const index of [1, 30, 60]) expect(text).toContain(`Seat ${index} — Profi-Konto für Händler`);
    expect(text).toContain('Анна Петрова (Άννα Πέτροβα)');
    expect(text).toContain('ул. Тверская, д. 1, кв. 5');
    expect(text).toContain('VAT ID: DE123456789');
    expect(text).not.toContain('user_internal_7f3a');
    expect(text).not.toContain('?');
  });

  it('computes the amount due from what was paid, credited and applied from the balance', async () => {
    const notes = [{ number: 'CN-2026-000007', amount: 5000, issuedAt: '2026-12-02T00:00:00.000Z' }];
    const { text } = await textOf(await renderInvoicePdf(invoice(), { buyer: BUYER, creditNotes: notes }));
    const flat = text.replace(/\s+/g, ' ');
    expect(flat).toContain('Total USD 600.00');
    expect(flat).toContain('Credit note CN-2026-000007 -USD 50.00');
    expect(flat).toContain('Applied from balance -USD 150.00');
    expect(flat).toContain('Amount paid -USD 200.00');
    // 600 − 50 − 150 − 200
    expect(flat).toContain('Amount due USD 200.00');
  });

  it('shows nothing due on an invoice paid entirely from the customer balance', async () => {
    const paid = invoice({
      status: 'paid',
      amountPaid: 0,
      creditApplied: 60000,
      amountDue: 0,
      paidAt: '2026-12-01T00:00:00.000Z',
    });
    const flat = (await textOf(await renderInvoicePdf(paid, { buyer: BUYER, creditNotes: [] }))).text.replace(
      /\s+/g,
      ' ',
    );
    expect(flat).toContain('Applied from balance -USD 600.00');
    expect(flat).toContain('Amount due USD 0.00');
    expect(flat).toContain('Paid in full on 2026-12-01');
  });

  it('renders a credit note with the invoice it credits, the buyer and the amount', async () => {
    const note: CreditNoteView = {
      id: 'cn_1',
      number: 'CN-2026-000007',
      invoiceId: 'inv_1',
      refundId: 're_1',
      amount: money(5000),
      reason: 'Возврат по запросу клиента',
      issuedAt: '2026-12-02T00:00:00.000Z',
    };
    const { text } = await textOf(await renderCreditNotePdf(note, invoice(), BUYER));
    const flat = text.replace(/\s+/g, ' ');
    expect(flat).toContain('CREDIT NOTE');
    expect(flat).toContain('Credits invoice INV-2026-000042');
    expect(flat).toContain('Анна Петрова');
    expect(flat).toContain('Возврат по запросу клиента');
    expect(flat).toContain('Amount credited USD 50.00');
    expect(flat).toContain('Refunded to the original payment method');
  });
});
