import PDFDocument from 'pdfkit';

export const PAGE = { width: 595.28, height: 841.89, margin: 50 } as const; // A4 in points
export const CONTENT_WIDTH = PAGE.width - 2 * PAGE.margin;
export const RIGHT_EDGE = PAGE.width - PAGE.margin;
/** Room kept at the bottom of every page for the footer. */
const FOOTER_HEIGHT = 48;
export const BODY_BOTTOM = PAGE.height - PAGE.margin - FOOTER_HEIGHT;

export const INK = '#1a1a1a';
export const MUTED = '#6b6b6b';
const RULE = '#d0d0d0';

/**
 * DejaVu Sans (the `dejavu-fonts-ttf` package), embedded and subset by pdfkit: Latin, Greek,
 * Cyrillic, Armenian, Georgian, Hebrew and Arabic names print as written. The 14 built-in PDF fonts
 * cover Windows-1252 only. (CJK scripts are not in DejaVu: such characters print as empty boxes.)
 */
const FONT_FILES = {
  regular: require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf'),
  bold: require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans-Bold.ttf'),
} as const;
export const REGULAR = 'DocumentRegular';
export const BOLD = 'DocumentBold';

export interface TextOptions {
  width?: number;
  align?: 'left' | 'right';
  font?: string;
  size?: number;
  colour?: string;
}

/** Control characters would print as boxes; everything else prints as written. */
const clean = (value: string): string =>
  Array.from(value, (char) => {
    const code = char.codePointAt(0) ?? 0;
    return code < 0x20 || (code >= 0x7f && code <= 0x9f) ? ' ' : char;
  }).join('');

/**
 * An A4 document with an embedded Unicode font, lines that never overflow their box, page breaks
 * that repeat the table header (`startTableOn`), and a footer on every page with its number. Metadata
 * dates come from the document, so the same document always renders to the same bytes.
 */
export class DocumentPdf {
  readonly doc: PDFKit.PDFDocument;
  private readonly finished: Promise<Buffer>;
  private continuation: ((y: number) => number) | null = null;

  constructor(info: { title: string; author: string; subject: string; createdAt: Date }) {
    this.doc = new PDFDocument({
      size: 'A4',
      margin: PAGE.margin,
      bufferPages: true,
      autoFirstPage: true,
      info: {
        Title: info.title,
        Author: info.author,
        Subject: info.subject,
        Creator: 'Astrix billing',
        Producer: 'Astrix billing',
        CreationDate: info.createdAt,
        ModDate: info.createdAt,
      },
    });
    this.doc.registerFont(REGULAR, FONT_FILES.regular);
    this.doc.registerFont(BOLD, FONT_FILES.bold);
    const chunks: Buffer[] = [];
    this.finished = new Promise<Buffer>((resolve, reject) => {
      this.doc.on('data', (chunk: Buffer) => chunks.push(chunk));
      this.doc.on('end', () => resolve(Buffer.concat(chunks)));
      this.doc.on('error', reject);
    });
  }

  private style(options: TextOptions): void {
    this.doc
      .font(options.font ?? REGULAR)
      .fontSize(options.size ?? 9.5)
      .fillColor(options.colour ?? INK);
  }

  /** One line that never runs past its box: an over-long email or name is cut short with an ellipsis. */
  text(value: string, x: number, y: number, options: TextOptions = {}): void {
    this.style(options);
    const width = options.width ?? RIGHT_EDGE - x;
    let fitted = clean(value);
    if (this.doc.widthOfString(fitted) > width) {
      while (fitted.length > 1 && this.doc.widthOfString(`${fitted}…`) > width) fitted = fitted.slice(0, -1);
      fitted = `${fitted}…`;
    }
    const left = options.align === 'right' ? x + width - this.doc.widthOfString(fitted) : x;
    this.doc.text(fitted, left, y, { lineBreak: false });
  }

  /** Wrapped text in a box; returns the y below it. */
  paragraph(value: string, x: number, y: number, width: number, options: TextOptions = {}): number {
    this.style(options);
    this.doc.text(clean(value), x, y, { width });
    return this.doc.y;
  }

  /**
   * The document's head: who issued it on the left (name, address, tax id), its facts as label/value
   * rows on the right. Returns the y below both.
   */
  issuerAndFacts(
    seller: { name: string; address: string; taxId: string | null },
    facts: ReadonlyArray<readonly [string, string]>,
    y: number,
  ): number {
    const factsX = PAGE.margin + 290;
    const factsWidth = CONTENT_WIDTH - 290;
    this.text('From', PAGE.margin, y, { font: BOLD, size: 8, colour: MUTED });
    this.text(seller.name, PAGE.margin, y + 12, { width: 250, font: BOLD, size: 10.5 });
    let sellerBottom = this.paragraph(seller.address, PAGE.margin, y + 27, 250);
    if (seller.taxId) {
      this.text(`Tax ID: ${seller.taxId}`, PAGE.margin, sellerBottom + 2);
      sellerBottom += 14;
    }
    facts.forEach(([label, value], index) => {
      const rowY = y + 12 + index * 15;
      this.text(label, factsX, rowY, { colour: MUTED });
      this.text(value, factsX, rowY, { width: factsWidth, align: 'right', font: BOLD });
    });
    return Math.max(sellerBottom + 20, y + 12 + facts.length * 15) + 15;
  }

  heightOf(value: string, width: number, options: TextOptions = {}): number {
    this.style(options);
    return this.doc.heightOfString(clean(value), { width });
  }

  rule(y: number, from: number = PAGE.margin): void {
    this.doc.moveTo(from, y).lineTo(RIGHT_EDGE, y).lineWidth(0.7).strokeColor(RULE).stroke();
  }

  /**
   * From now on a page break calls `drawHeader(top)` on the new page (a running title and the table
   * header), which returns where the content continues.
   */
  startTableOn(drawHeader: (top: number) => number): void {
    this.continuation = drawHeader;
  }

  stopTable(): void {
    this.continuation = null;
  }

  /** Where `height` more points fit: `y` itself, or the top of a new page (with its header). */
  fit(y: number, height: number): number {
    if (y + height <= BODY_BOTTOM) return y;
    this.doc.addPage();
    return this.continuation ? this.continuation(PAGE.margin) : PAGE.margin;
  }

  /** Writes the footer on every page (`page` of `pages`) and closes the document. */
  finish(footer: (page: number, pages: number, top: number) => void): Promise<Buffer> {
    const range = this.doc.bufferedPageRange();
    for (let index = range.start; index < range.start + range.count; index += 1) {
      this.doc.switchToPage(index);
      const top = PAGE.height - PAGE.margin - 30;
      this.rule(top - 8);
      footer(index - range.start + 1, range.count, top);
    }
    this.doc.end();
    return this.finished;
  }
}
