import { isCurrencyCode } from '@astrix/pricing';

export interface ParsedRate {
  day: string;
  base: string;
  quote: string;
  rate: string;
}

export class FxCsvError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FxCsvError';
  }
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const RATE = /^\d{1,9}(\.\d{1,10})?$/;

/**
 * An ECB-style reference-rate CSV (eurofxref / eurofxref-hist): a `Date` column, then one column per
 * currency with 1 EUR = x of it; "N/A" or empty cells are skipped (that currency had no fixing that
 * day). Every other cell must be a day or a positive decimal: one bad cell refuses the whole file
 * with its line and column, so nothing half-imports.
 */
export function parseEcbCsv(text: string, base = 'EUR'): ParsedRate[] {
  const lines = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '');
  if (lines.length < 2) throw new FxCsvError('the file has no rates (a header line and at least one day)');
  const header = lines[0].split(',').map((cell) => cell.trim());
  if (header[0] !== 'Date') throw new FxCsvError(`line 1: the first column must be Date, not ${header[0]}`);
  const currencies = header.slice(1);
  currencies.forEach((code, index) => {
    if (code !== '' && !isCurrencyCode(code)) {
      throw new FxCsvError(`line 1, column ${index + 2}: ${code} is not an ISO 4217 currency`);
    }
  });
  const rates: ParsedRate[] = [];
  lines.slice(1).forEach((line, lineIndex) => {
    const cells = line.split(',').map((cell) => cell.trim());
    const day = cells[0];
    const where = `line ${lineIndex + 2}`;
    if (!DAY.test(day) || Number.isNaN(Date.parse(`${day}T00:00:00Z`))) {
      throw new FxCsvError(`${where}: ${day} is not a date (YYYY-MM-DD)`);
    }
    currencies.forEach((quote, index) => {
      const cell = cells[index + 1] ?? '';
      if (quote === '' || cell === '' || cell === 'N/A') return;
      if (!RATE.test(cell) || /^0+(\.0+)?$/.test(cell)) {
        throw new FxCsvError(
          `${where}, column ${index + 2} (${quote}): ${cell} is not a positive decimal rate`,
        );
      }
      rates.push({ day, base, quote, rate: cell });
    });
  });
  return rates;
}
