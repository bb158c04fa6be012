import type { INestApplicationContext } from '@nestjs/common';
import { BooksCheck, type BooksReport } from '../../src/modules/billing';

/**
 * Runs the books check (the service behind `pnpm cli books check`) in-process: our invariants, the
 * payouts' findings and our rows against the fake Stripe's own records (everything it holds).
 */
export function checkBooks(app: INestApplicationContext): Promise<BooksReport> {
  return app.get(BooksCheck, { strict: false }).run({ processorSince: new Date(0) });
}

/** For the end of every money suite: fails listing the findings, one line each. */
export async function expectBooksClean(app: INestApplicationContext): Promise<void> {
  const report = await checkBooks(app);
  if (report.findings.length > 0) {
    const lines = report.findings.map(
      (finding) =>
        `  ${finding.kind} ${finding.subject} (${finding.currency} ${finding.amount}): ${finding.message}`,
    );
    throw new Error(`the books are not clean:\n${lines.join('\n')}`);
  }
}
