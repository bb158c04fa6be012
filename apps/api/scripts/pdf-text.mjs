#!/usr/bin/env node
// Prints the text of a PDF read from stdin as JSON {text, pages: [text per page]}, with pdf-parse
// (pdf.js). Tests run it in its own process: pdf.js loads its worker with a dynamic import that
// jest's CommonJS runtime refuses. `node scripts/pdf-text.mjs < invoice.pdf`
import { PDFParse } from 'pdf-parse';

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const parser = new PDFParse({ data: new Uint8Array(Buffer.concat(chunks)) });
try {
  const result = await parser.getText();
  process.stdout.write(JSON.stringify({ text: result.text, pages: result.pages.map((page) => page.text) }));
} finally {
  await parser.destroy();
}
