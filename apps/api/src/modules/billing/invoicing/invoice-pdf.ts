import PDFDocument from 'pdfkit';
import type { InvoiceView } from '@astrix/contracts';
import { formatMoney, money, negate, parseCurrencyCode, subtract } from '@astrix/pricing';

const PAGE = { width: 595.28, height: 841.89, margin: 50 } as const; // A4 in points
const CONTENT_WIDTH = PAGE.width - 2 * PAGE.margin;
const RIGHT_EDGE = PAGE.width - PAGE.margin;
const REGULAR = 'Helvetica';
const BOLD = 'Helvetica-Bold';
const INK = '#1a1a1a';
const MUTED = '#6b6b6b';
const RULE = '#d0d0d0';
const TABLE_HEADER_FILL = '#f2f2f2';
const STATUS_COLOURS: Record<InvoiceView['status'], string> = {
  paid: '#1e7d32',
  open: '#b26a00',
  draft: '#6b6b6b',
  void: '#b00020',
  uncollectible: '#b00020',
};

interface Column {
  title: string;
  x: number;
  width: number;
  align: 'left' | 'right';
}

const COLUMNS: Column[] = [
  { title: 'Description', x: PAGE.margin, width: 195, align: 'left' },
  { title: 'Qty', x: PAGE.margin + 200, width: 35, align: 'right' },
  { title: 'Unit price', x: PAGE.margin + 240, width: 85, align: 'right' },
  { title: 'Discount', x: PAGE.margin + 330, width: 80, align: 'right' },
  { title: 'Amount', x: PAGE.margin + 415, width: 80, align: 'right' },
];

// The built-in PDF fonts only cover Windows-1252: anything else would print as garbage glyphs.
const WIN_ANSI_EXTRAS = new Set('€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ');
function printable(text: string): string {
  return Array.from(text, (char) => {
    const code = char.codePointAt(0) ?? 0;
    const latin = (code >= 0x20 && code <= 0x7e) || (code >= 0xa0 && code <= 0xff);
    return latin || WIN_ANSI_EXTRAS.has(char) ? char : '?';
  }).join('');
}

const isoDate = (iso: string): string => iso.slice(0, 10);

// A long description is cut short rather than pushing the invoice onto a second page.
const MAX_DESCRIPTION_LINES = 3;
function clampToLines(text: string, heightOf: (candidate: string) => number, maxHeight: number): string {
  if (heightOf(text) <= maxHeight) return text;
  const words = text.split(/\s+/);
  while (words.length > 1) {
    words.pop();
    const candidate = `${words.join(' ')}…`;
    if (heightOf(candidate) <= maxHeight) return candidate;
  }
  return `${text.slice(0, 20)}…`;
}

/** "Tax (20%, included)", "Tax (reverse charge)" or "Tax". */
function taxTotalLabel(invoice: InvoiceView): string {
  if (invoice.taxDetails?.treatment === 'reverse_charge') return 'Tax (reverse charge)';
  const rates = new Set(
    invoice.lines.flatMap((line) =>
      line.taxRate === null
        ? []
        : [`${line.taxRate.percentage}%, ${line.taxRate.inclusive ? 'included' : 'added'}`],
    ),
  );
  return rates.size === 1 ? `Tax (${[...rates][0]})` : 'Tax';
}

/**
 * A one-page A4 invoice (room for about 18 lines: receipts carry one to three). Amounts show the ISO code ("USD 299.00", "JPY 45,000", "KWD 1.250"):
 * unambiguous, and printable in the built-in fonts whatever the currency. Metadata dates come from
 * the invoice, so the same invoice always renders to the same bytes.
 */
export function renderInvoicePdf(invoice: InvoiceView): Promise<Buffer> {
  const currency = parseCurrencyCode(invoice.currency);
  const format = (minorUnits: number): string =>
    formatMoney(money(minorUnits, currency), 'en-US', { currencyDisplay: 'code' });
  // Deductions print with a minus sign; negate() turns zero into 0, never -0.
  const formatDeduction = (minorUnits: number): string =>
    format(negate(money(minorUnits, currency)).amountMinor);

  const issuedAt = new Date(invoice.issuedAt);
  const doc = new PDFDocument({
    size: 'A4',
    margin: PAGE.margin,
    info: {
      Title: `Invoice ${invoice.number}`,
      Author: printable(invoice.seller.name),
      Subject: `Invoice ${invoice.number} for ${invoice.userId}`,
      Creator: 'Astrix billing',
      Producer: 'Astrix billing',
      CreationDate: issuedAt,
      ModDate: issuedAt,
    },
  });
  const chunks: Buffer[] = [];
  const finished = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });

  const text = (
    value: string,
    x: number,
    y: number,
    options: { width?: number; align?: 'left' | 'right'; font?: string; size?: number; colour?: string } = {},
  ): void => {
    doc
      .font(options.font ?? REGULAR)
      .fontSize(options.size ?? 9.5)
      .fillColor(options.colour ?? INK);
    const width = options.width ?? RIGHT_EDGE - x;
    // One line that never runs past its box: an over-long email or id is cut short with an ellipsis.
    let fitted = printable(value);
    if (doc.widthOfString(fitted) > width) {
      while (fitted.length > 1 && doc.widthOfString(`${fitted}…`) > width) fitted = fitted.slice(0, -1);
      fitted = `${fitted}…`;
    }
    const left = options.align === 'right' ? x + width - doc.widthOfString(fitted) : x;
    doc.text(fitted, left, y, { lineBreak: false });
  };
  const rule = (y: number, from: number = PAGE.margin): void => {
    doc.moveTo(from, y).lineTo(RIGHT_EDGE, y).lineWidth(0.7).strokeColor(RULE).stroke();
  };

  // Title and status stamp.
  let y = PAGE.margin;
  text('INVOICE', PAGE.margin, y, { font: BOLD, size: 24 });
  const status = invoice.status.toUpperCase();
  doc.font(BOLD).fontSize(16);
  const stampWidth = doc.widthOfString(status) + 24;
  const stampColour = STATUS_COLOURS[invoice.status];
  doc
    .roundedRect(RIGHT_EDGE - stampWidth, y, stampWidth, 28, 4)
    .lineWidth(2)
    .strokeColor(stampColour)
    .stroke();
  text(status, RIGHT_EDGE - stampWidth, y + 7, {
    width: stampWidth - 12,
    align: 'right',
    font: BOLD,
    size: 16,
    colour: stampColour,
  });

  // Seller on the left, invoice facts on the right.
  y += 50;
  const factsX = PAGE.margin + 290;
  const factsWidth = CONTENT_WIDTH - 290;
  text('From', PAGE.margin, y, { font: BOLD, size: 8, colour: MUTED });
  text(invoice.seller.name, PAGE.margin, y + 12, { width: 250, font: BOLD, size: 10.5 });
  doc.font(REGULAR).fontSize(9.5).fillColor(INK);
  doc.text(printable(invoice.seller.address), PAGE.margin, y + 27, { width: 250 });
  const afterAddress = doc.y;
  if (invoice.seller.taxId) text(`Tax ID: ${invoice.seller.taxId}`, PAGE.margin, afterAddress + 2);

  const facts: Array<[string, string]> = [
    ['Invoice number', invoice.number],
    ['Issue date', isoDate(invoice.issuedAt)],
    ['Paid date', invoice.paidAt ? isoDate(invoice.paidAt) : '-'],
    ['Currency', currency],
  ];
  facts.forEach(([label, value], index) => {
    const rowY = y + 12 + index * 15;
    text(label, factsX, rowY, { colour: MUTED });
    text(value, factsX, rowY, { width: factsWidth, align: 'right', font: BOLD });
  });

  // Customer.
  y = Math.max(afterAddress + 20, y + 12 + facts.length * 15) + 15;
  text('Bill to', PAGE.margin, y, { font: BOLD, size: 8, colour: MUTED });
  text(`Customer ${invoice.customer.userId}`, PAGE.margin, y + 12);
  text(invoice.customer.email ?? 'no email on file', PAGE.margin, y + 26, {
    colour: invoice.customer.email ? INK : MUTED,
  });
  const taxDetails = invoice.taxDetails;
  if (taxDetails?.customerVatId) text(`VAT ID: ${taxDetails.customerVatId}`, PAGE.margin, y + 40);

  // Lines.
  y += 60;
  doc.rect(PAGE.margin, y, CONTENT_WIDTH, 20).fill(TABLE_HEADER_FILL);
  for (const column of COLUMNS) {
    text(column.title, column.x, y + 6, { width: column.width, align: column.align, font: BOLD, size: 9 });
  }
  y += 26;
  for (const line of invoice.lines) {
    doc.font(REGULAR).fontSize(9.5).fillColor(INK);
    const [descriptionColumn, ...amountColumns] = COLUMNS;
    const description = clampToLines(
      printable(line.description),
      (candidate) => doc.heightOfString(candidate, { width: descriptionColumn.width }),
      doc.heightOfString(Array(MAX_DESCRIPTION_LINES).fill('X').join('\n'), {
        width: descriptionColumn.width,
      }),
    );
    const descriptionHeight = doc.heightOfString(description, { width: descriptionColumn.width });
    doc.text(description, descriptionColumn.x, y, { width: descriptionColumn.width });
    const cells = [
      String(line.quantity),
      format(line.unitAmount.amount),
      format(line.discount.amount),
      format(line.amount.amount),
    ];
    amountColumns.forEach((column, index) =>
      text(cells[index], column.x, y, { width: column.width, align: 'right' }),
    );
    y += Math.max(descriptionHeight, 12) + 8;
    if (line.taxRate !== null) {
      const how = line.taxRate.inclusive ? 'included' : 'added';
      text(
        `Tax ${line.taxRate.percentage}% (${how}): ${format(line.tax.amount)}`,
        descriptionColumn.x,
        y - 4,
        {
          size: 8,
          colour: MUTED,
        },
      );
      y += 10;
    }
    rule(y - 4);
  }

  // Totals, right-aligned under the amount columns.
  y += 10;
  const labelX = PAGE.margin + 290;
  const totalsWidth = CONTENT_WIDTH - 290;
  const amountDue = subtract(money(invoice.total, currency), money(invoice.amountPaid, currency)).amountMinor;
  const totals: Array<[string, string, boolean]> = [
    ['Subtotal', format(invoice.subtotal), false],
    ['Discount', formatDeduction(invoice.discount), false],
    [taxTotalLabel(invoice), format(invoice.tax), false],
    ['Total', format(invoice.total), true],
    ['Amount paid', formatDeduction(invoice.amountPaid), false],
    ['Amount due', format(amountDue), true],
  ];
  for (const [label, value, emphasised] of totals) {
    if (emphasised) rule(y - 4, labelX);
    const font = emphasised ? BOLD : REGULAR;
    text(label, labelX, y, { font, size: emphasised ? 11 : 9.5 });
    text(value, labelX, y, { width: totalsWidth, align: 'right', font, size: emphasised ? 11 : 9.5 });
    y += emphasised ? 20 : 16;
  }

  if (taxDetails?.note) {
    doc.font(REGULAR).fontSize(8.5).fillColor(INK);
    doc.text(printable(taxDetails.note), PAGE.margin, y + 10, { width: CONTENT_WIDTH });
  }

  // Footer.
  const footerY = PAGE.height - PAGE.margin - 30;
  rule(footerY - 8);
  const settlement =
    invoice.status === 'paid' && invoice.paidAt && amountDue === 0
      ? `Paid in full on ${isoDate(invoice.paidAt)}. Thank you for trading with Astrix.`
      : `Status: ${invoice.status}.`;
  text(settlement, PAGE.margin, footerY, { size: 8.5, colour: MUTED });
  const sellerLine = [invoice.seller.name, invoice.seller.taxId ? `Tax ID ${invoice.seller.taxId}` : null]
    .filter((part): part is string => part !== null)
    .join(' - ');
  text(sellerLine, PAGE.margin, footerY + 13, { size: 8.5, colour: MUTED });
  text(`Invoice ${invoice.number}`, PAGE.margin, footerY + 13, {
    width: CONTENT_WIDTH,
    align: 'right',
    size: 8.5,
    colour: MUTED,
  });

  doc.end();
  return finished;
}
