import type { CreditNoteView, InvoiceView } from '@astrix/contracts';
import { formatMoney, money, parseCurrencyCode } from '@astrix/pricing';
import { buyerLines, type BuyerDetails } from '../invoice-pdf';
import { BOLD, CONTENT_WIDTH, DocumentPdf, INK, MUTED, PAGE } from './document-pdf';

const isoDate = (iso: string): string => iso.slice(0, 10);

/**
 * An A4 credit note: who issued it and to whom, the invoice it credits, why, the amount, and how it
 * was settled (refunded to the card, or credited against the invoice). Same font and footer as the
 * invoice.
 */
export function renderCreditNotePdf(
  note: CreditNoteView,
  invoice: InvoiceView,
  buyer: BuyerDetails,
): Promise<Buffer> {
  const currency = parseCurrencyCode(note.amount.currency);
  const format = (minorUnits: number): string =>
    formatMoney(money(minorUnits, currency), 'en-US', { currencyDisplay: 'code' });
  const pdf = new DocumentPdf({
    title: `Credit note ${note.number}`,
    author: invoice.seller.name,
    subject: `Credit note ${note.number} for invoice ${invoice.number}`,
    createdAt: new Date(note.issuedAt),
  });

  let y: number = PAGE.margin;
  pdf.text('CREDIT NOTE', PAGE.margin, y, { font: BOLD, size: 24 });
  y += 50;
  const facts: Array<[string, string]> = [
    ['Credit note number', note.number],
    ['Issue date', isoDate(note.issuedAt)],
    ['Credits invoice', invoice.number],
    ['Invoice date', isoDate(invoice.issuedAt)],
    ['Currency', currency],
  ];

  y = pdf.issuerAndFacts(invoice.seller, facts, y);
  pdf.text('Credited to', PAGE.margin, y, { font: BOLD, size: 8, colour: MUTED });
  const lines = buyerLines(buyer);
  (lines.length > 0 ? lines : ['no billing details on file']).forEach((line, index) =>
    pdf.text(line, PAGE.margin, y + 12 + index * 14, {
      width: 330,
      font: index === 0 && buyer.name ? BOLD : undefined,
      colour: lines.length > 0 ? INK : MUTED,
    }),
  );
  y += 12 + Math.max(lines.length, 1) * 14 + 24;

  pdf.text('Reason', PAGE.margin, y, { font: BOLD, size: 8, colour: MUTED });
  y = pdf.paragraph(note.reason, PAGE.margin, y + 12, CONTENT_WIDTH) + 16;
  pdf.rule(y - 6);
  const labelX = PAGE.margin + 290;
  const amountWidth = CONTENT_WIDTH - 290;
  pdf.text('Invoice total', labelX, y);
  pdf.text(format(invoice.total), labelX, y, { width: amountWidth, align: 'right' });
  y += 20;
  pdf.rule(y - 4, labelX);
  pdf.text('Amount credited', labelX, y, { font: BOLD, size: 11 });
  pdf.text(format(note.amount.amount), labelX, y, {
    width: amountWidth,
    align: 'right',
    font: BOLD,
    size: 11,
  });
  y += 26;
  pdf.paragraph(
    note.refundId
      ? 'Refunded to the original payment method; banks usually show it within 5 to 10 business days.'
      : 'Credited against the invoice; no payment is refunded with this note.',
    PAGE.margin,
    y,
    CONTENT_WIDTH,
    { size: 9, colour: MUTED },
  );

  return pdf.finish((page, pages, top) => {
    pdf.text(invoice.seller.name, PAGE.margin, top + 13, {
      size: 8.5,
      colour: MUTED,
      width: CONTENT_WIDTH - 150,
    });
    pdf.text(`Credit note ${note.number} · page ${page} of ${pages}`, PAGE.margin, top + 13, {
      width: CONTENT_WIDTH,
      align: 'right',
      size: 8.5,
      colour: MUTED,
    });
  });
}
