import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

const SRC = join(__dirname, '..', '..', '..');
const INVOICING = join(__dirname, sep);

/** Every TypeScript source file under src, migrations aside (they create the tables). */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'migrations' ? [] : sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') ? [path] : [];
  });
}

const ORM_WRITE =
  /\.(update|insert|save|upsert|delete|remove|increment|decrement|softDelete)\(\s*(Invoice|InvoiceLine|CreditNote|DocumentNumberSeries)\b/;
const SQL_WRITE = /(update|insert\s+into|delete\s+from)\s+billing\.(invoices|invoice_lines|credit_notes|document_number_series)\b/i;

function writers(pattern: RegExp): string[] {
  return sourceFiles(SRC)
    .filter((file) => pattern.test(readFileSync(file, 'utf8')))
    .map((file) => relative(SRC, file).split(sep).join('/'));
}

describe('invoicing is the only writer of invoices, their lines, credit notes and number series', () => {
  it('finds the writes it looks for (the patterns are not blind)', () => {
    expect(writers(ORM_WRITE)).toContain('modules/billing/invoicing/invoices.service.ts');
    expect(writers(SQL_WRITE)).toContain('modules/billing/invoicing/invoice-writer.service.ts');
  });

  it('has no ORM or SQL write to those tables outside invoicing/', () => {
    const outside = [...writers(ORM_WRITE), ...writers(SQL_WRITE)].filter(
      (file) => !join(SRC, file).startsWith(INVOICING),
    );
    expect(outside).toEqual([]);
  });
});
