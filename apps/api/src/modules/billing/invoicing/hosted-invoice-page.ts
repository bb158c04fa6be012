import { createHash } from 'node:crypto';
import type { InvoiceView } from '@astrix/contracts';
import { formatMoney, money, parseCurrencyCode } from '@astrix/pricing';
import { settlementOf } from './pdf/invoice-settlement';

/** Text for HTML element content and quoted attribute values: every markup character escaped. */
export function escapeHtml(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

const STYLE = [
  'body{font-family:system-ui,sans-serif;color:#1a1a1a;max-width:48rem;margin:2rem auto;padding:0 1rem}',
  'table{width:100%;border-collapse:collapse;margin:1rem 0}',
  'th,td{text-align:left;padding:.4rem;border-bottom:1px solid #ddd}',
  'td.amount,th.amount{text-align:right;white-space:nowrap}',
  '.status{display:inline-block;padding:.1rem .5rem;border-radius:.3rem;background:#eee}',
  '.due{font-weight:bold}',
  'object{width:100%;height:40rem;border:1px solid #ddd}',
].join('');

/**
 * The page's Content-Security-Policy: no script at all, the one style block by its hash, the PDF
 * from this origin only, no framing by others, no forms, no base rewriting.
 */
export const HOSTED_INVOICE_PAGE_CSP = [
  "default-src 'none'",
  `style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`,
  "object-src 'self'",
  "frame-src 'self'",
  "img-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export interface HostedInvoicePageInput {
  invoice: InvoiceView;
  /** The buyer's billing name, when they gave one. */
  buyerName: string | null;
  /** The PDF of the same link (relative, token included). */
  pdfUrl: string;
  expiresAt: Date;
}

/** The hosted invoice page: what the invoice says and what is left to pay, with its PDF. */
export function renderHostedInvoicePage(input: HostedInvoicePageInput): string {
  const { invoice } = input;
  const currency = parseCurrencyCode(invoice.currency);
  const format = (minorUnits: number): string =>
    escapeHtml(formatMoney(money(minorUnits, currency), 'en-US', { currencyDisplay: 'code' }));
  const settlement = settlementOf({
    currency,
    total: invoice.total,
    creditApplied: invoice.creditApplied,
    amountPaid: invoice.amountPaid,
    creditNotes: (invoice.creditNotes ?? []).map((note) => note.amount.amount),
  });
  const row = (label: string, value: string, className = ''): string =>
    `<tr${className ? ` class="${className}"` : ''}><th>${escapeHtml(label)}</th><td class="amount">${value}</td></tr>`;
  const lines = invoice.lines
    .map(
      (line) =>
        `<tr><td>${escapeHtml(line.description)}</td><td class="amount">${line.quantity}</td>` +
        `<td class="amount">${format(line.amount.amount)}</td></tr>`,
    )
    .join('');
  const settlementRows = [
    row('Total', format(settlement.total)),
    settlement.credited > 0 ? row('Credited', format(settlement.credited)) : '',
    settlement.appliedFromBalance > 0
      ? row('Applied from balance', format(settlement.appliedFromBalance))
      : '',
    row('Paid', format(settlement.paid)),
    row('Amount due', format(settlement.amountDue), 'due'),
    settlement.creditedBack > 0 ? row('Credited back', format(settlement.creditedBack)) : '',
  ].join('');
  const title = `Invoice ${invoice.number}`;
  const pdfUrl = escapeHtml(input.pdfUrl);
  return (
    '<!doctype html><html lang="en"><head><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width,initial-scale=1">' +
    '<meta name="robots" content="noindex,nofollow"><meta name="referrer" content="no-referrer">' +
    `<title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body>` +
    `<h1>${escapeHtml(title)} <span class="status">${escapeHtml(invoice.status)}</span></h1>` +
    `<p>From ${escapeHtml(invoice.seller.name)}` +
    (input.buyerName ? ` to ${escapeHtml(input.buyerName)}` : '') +
    `, issued ${escapeHtml(invoice.issuedAt.slice(0, 10))}` +
    (invoice.paidAt ? `, paid ${escapeHtml(invoice.paidAt.slice(0, 10))}` : '') +
    '.</p>' +
    '<table><thead><tr><th>Description</th><th class="amount">Qty</th><th class="amount">Amount</th></tr></thead>' +
    `<tbody>${lines}</tbody></table>` +
    `<table>${settlementRows}</table>` +
    `<p><a href="${pdfUrl}">Download the PDF</a>. This link works until ${escapeHtml(input.expiresAt.toISOString().slice(0, 10))}.</p>` +
    `<object data="${pdfUrl}" type="application/pdf"><a href="${pdfUrl}">${escapeHtml(title)} (PDF)</a></object>` +
    '</body></html>'
  );
}
