import type { InvoiceView } from '@astrix/contracts';
import { formatMoney, money, negate, parseCurrencyCode } from '@astrix/pricing';
import { BOLD, CONTENT_WIDTH, DocumentPdf, INK, MUTED, PAGE, REGULAR, RIGHT_EDGE } from './pdf/document-pdf';
import { settlementOf } from './pdf/invoice-settlement';

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

/** Who the document is addressed to: what the customer's records hold, never our internal ids. */
export interface BuyerDetails {
  name: string | null;
  address: string | null;
  email: string | null;
  /** The customer's VAT id, as the invoice was issued under it. */
  taxId: string | null;
  country: string | null;
  region: string | null;
  postalCode: string | null;
}

/** A credit note issued against the invoice, for its settlement. */
export interface InvoiceCreditNote {
  number: string;
  amount: number;
  issuedAt: string;
}

const isoDate = (iso: string): string => iso.slice(0, 10);

// A long description is cut short at three lines; a long invoice continues on further pages.
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

/** The buyer block's lines: name, address, place, email, tax id — whatever the records hold. */
export function buyerLines(buyer: BuyerDetails): string[] {
  const place = [buyer.postalCode, buyer.region, buyer.country].filter(Boolean).join(' ');
  return [
    buyer.name,
    ...(buyer.address ?? '').split(/\r?\n/),
    place || null,
    buyer.email,
    buyer.taxId ? `VAT ID: ${buyer.taxId}` : null,
  ].filter((line): line is string => typeof line === 'string' && line.trim() !== '');
}

/**
 * An A4 invoice in DejaVu Sans (names in any European, Cyrillic, Greek, Hebrew or Arabic script print
 * as written), continued on further pages with the table header repeated, a footer with the page
 * number on every page. Amounts show the ISO code ("USD 299.00", "JPY 45,000", "KWD 1.250"). The
 * amount due is the total less credit notes, customer balance applied and payments.
 */
export function renderInvoicePdf(
  invoice: InvoiceView,
  extras: { buyer: BuyerDetails; creditNotes: readonly InvoiceCreditNote[] },
): Promise<Buffer> {
  const currency = parseCurrencyCode(invoice.currency);
  const format = (minorUnits: number): string =>
    formatMoney(money(minorUnits, currency), 'en-US', { currencyDisplay: 'code' });
  // Deductions print with a minus sign; negate() turns zero into 0, never -0.
  const formatDeduction = (minorUnits: number): string =>
    format(negate(money(minorUnits, currency)).amountMinor);

  const pdf = new DocumentPdf({
    title: `Invoice ${invoice.number}`,
    author: invoice.seller.name,
    subject: `Invoice ${invoice.number}`,
    createdAt: new Date(invoice.issuedAt),
  });

  // Title and status stamp.
  let y: number = PAGE.margin;
  pdf.text('INVOICE', PAGE.margin, y, { font: BOLD, size: 24 });
  const status = invoice.status.toUpperCase();
  pdf.doc.font(BOLD).fontSize(16);
  const stampWidth = pdf.doc.widthOfString(status) + 24;
  const stampColour = STATUS_COLOURS[invoice.status];
  pdf.doc
    .roundedRect(RIGHT_EDGE - stampWidth, y, stampWidth, 28, 4)
    .lineWidth(2)
    .strokeColor(stampColour)
    .stroke();
  pdf.text(status, RIGHT_EDGE - stampWidth, y + 7, {
    width: stampWidth - 12,
    align: 'right',
    font: BOLD,
    size: 16,
    colour: stampColour,
  });

  // Seller on the left, invoice facts on the right.
  y += 50;
  const facts: Array<[string, string]> = [
    ['Invoice number', invoice.number],
    ['Issue date', isoDate(invoice.issuedAt)],
    ['Paid date', invoice.paidAt ? isoDate(invoice.paidAt) : '-'],
    ['Currency', currency],
  ];
  if (invoice.periodStart && invoice.periodEnd) {
    facts.push(['Service period', `${isoDate(invoice.periodStart)} – ${isoDate(invoice.periodEnd)}`]);
  }

  // Buyer.
  y = pdf.issuerAndFacts(invoice.seller, facts, y);
  pdf.text('Bill to', PAGE.margin, y, { font: BOLD, size: 8, colour: MUTED });
  const buyer = buyerLines(extras.buyer);
  (buyer.length > 0 ? buyer : ['no billing details on file']).forEach((line, index) =>
    pdf.text(line, PAGE.margin, y + 12 + index * 14, {
      width: 330,
      font: index === 0 && extras.buyer.name ? BOLD : REGULAR,
      colour: buyer.length > 0 ? INK : MUTED,
    }),
  );
  y += 12 + Math.max(buyer.length, 1) * 14 + 14;

  // Lines, continued on further pages under a repeated header.
  const tableHeader = (top: number): number => {
    pdf.doc.rect(PAGE.margin, top, CONTENT_WIDTH, 20).fill(TABLE_HEADER_FILL);
    for (const column of COLUMNS) {
      pdf.text(column.title, column.x, top + 6, {
        width: column.width,
        align: column.align,
        font: BOLD,
        size: 9,
      });
    }
    return top + 26;
  };
  y = tableHeader(y);
  pdf.startTableOn((top) => {
    pdf.text(`Invoice ${invoice.number} (continued)`, PAGE.margin, top, { font: BOLD, size: 10.5 });
    return tableHeader(top + 22);
  });
  const [descriptionColumn, ...amountColumns] = COLUMNS;
  const descriptionLimit = pdf.heightOf(
    Array(MAX_DESCRIPTION_LINES).fill('X').join('\n'),
    descriptionColumn.width,
  );
  for (const line of invoice.lines) {
    const description = clampToLines(
      line.description,
      (candidate) => pdf.heightOf(candidate, descriptionColumn.width),
      descriptionLimit,
    );
    const descriptionHeight = pdf.heightOf(description, descriptionColumn.width);
    const rowHeight = Math.max(descriptionHeight, 12) + 8 + (line.taxRate !== null ? 10 : 0);
    y = pdf.fit(y, rowHeight);
    pdf.paragraph(description, descriptionColumn.x, y, descriptionColumn.width);
    const cells = [
      String(line.quantity),
      format(line.unitAmount.amount),
      format(line.discount.amount),
      format(line.amount.amount),
    ];
    amountColumns.forEach((column, index) =>
      pdf.text(cells[index], column.x, y, { width: column.width, align: 'right' }),
    );
    y += Math.max(descriptionHeight, 12) + 8;
    if (line.taxRate !== null) {
      const how = line.taxRate.inclusive ? 'included' : 'added';
      pdf.text(
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
    pdf.rule(y - 4);
  }
  pdf.stopTable();

  // Totals and settlement, right-aligned under the amount columns, kept together on one page.
  const settlement = settlementOf({
    currency,
    total: invoice.total,
    creditApplied: invoice.creditApplied,
    amountPaid: invoice.amountPaid,
    creditNotes: extras.creditNotes.map((note) => note.amount),
  });
  const totals: Array<[string, string, boolean]> = [
    ['Subtotal', format(invoice.subtotal), false],
    ['Discount', formatDeduction(invoice.discount), false],
    [taxTotalLabel(invoice), format(invoice.tax), false],
    ['Total', format(invoice.total), true],
    ...extras.creditNotes.map((note): [string, string, boolean] => [
      `Credit note ${note.number}`,
      formatDeduction(note.amount),
      false,
    ]),
    ...(settlement.appliedFromBalance > 0
      ? [
          ['Applied from balance', formatDeduction(settlement.appliedFromBalance), false] as [
            string,
            string,
            boolean,
          ],
        ]
      : []),
    ['Amount paid', formatDeduction(settlement.paid), false],
    ['Amount due', format(settlement.amountDue), true],
    ...(settlement.creditedBack > 0
      ? [['Credited back to you', format(settlement.creditedBack), false] as [string, string, boolean]]
      : []),
  ];
  y = pdf.fit(y + 10, totals.length * 20 + 10);
  const labelX = PAGE.margin + 230;
  const totalsWidth = CONTENT_WIDTH - 230;
  for (const [label, value, emphasised] of totals) {
    if (emphasised) pdf.rule(y - 4, labelX);
    const font = emphasised ? BOLD : REGULAR;
    const size = emphasised ? 11 : 9.5;
    pdf.text(label, labelX, y, { font, size, width: totalsWidth - 100 });
    pdf.text(value, labelX, y, { width: totalsWidth, align: 'right', font, size });
    y += emphasised ? 20 : 16;
  }

  const note = invoice.taxDetails?.note;
  if (note) {
    y = pdf.fit(y + 10, pdf.heightOf(note, CONTENT_WIDTH, { size: 8.5 }));
    pdf.paragraph(note, PAGE.margin, y, CONTENT_WIDTH, { size: 8.5 });
  }

  const closing =
    invoice.status === 'paid' && invoice.paidAt && settlement.amountDue === 0
      ? `Paid in full on ${isoDate(invoice.paidAt)}. Thank you for trading with Astrix.`
      : `Status: ${invoice.status}.`;
  const sellerLine = [invoice.seller.name, invoice.seller.taxId ? `Tax ID ${invoice.seller.taxId}` : null]
    .filter((part): part is string => part !== null)
    .join(' - ');
  return pdf.finish((page, pages, top) => {
    pdf.text(closing, PAGE.margin, top, { size: 8.5, colour: MUTED });
    pdf.text(sellerLine, PAGE.margin, top + 13, { size: 8.5, colour: MUTED, width: CONTENT_WIDTH - 150 });
    pdf.text(`Invoice ${invoice.number} · page ${page} of ${pages}`, PAGE.margin, top + 13, {
      width: CONTENT_WIDTH,
      align: 'right',
      size: 8.5,
      colour: MUTED,
    });
  });
}
