import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/**
 * The text of a PDF as pdf.js extracts it (pdf-parse, run by scripts/pdf-text.mjs in a process of its
 * own: pdf.js loads its worker with a dynamic import jest's CommonJS runtime refuses). Works with
 * the embedded Unicode font of our documents; `pages` holds each page's text.
 */
export function pdfTextAndPages(pdf: Buffer): { text: string; pages: string[] } {
  const run = spawnSync(process.execPath, [join(__dirname, '../../scripts/pdf-text.mjs')], {
    input: pdf,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (run.status !== 0) throw new Error(`pdf-text failed: ${run.stderr.toString()}`);
  return JSON.parse(run.stdout.toString('utf8')) as { text: string; pages: string[] };
}

/** The text of a PDF, lines separated by newlines. */
export function pdfText(pdf: Buffer): string {
  return pdfTextAndPages(pdf).text;
}
