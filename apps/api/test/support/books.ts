import type { INestApplicationContext } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { BooksCheck, type BooksReport } from '../../src/modules/billing';
import { JobQueue } from '../../src/platform/queues/job-queue.service';
import { QUEUE_NAMES } from '../../src/platform/queues/job-registry';

/**
 * Runs the books check (the service behind `pnpm cli books check`) in-process: our invariants, the
 * payouts' findings and our rows against the fake Stripe's own records (everything it holds).
 */
export function checkBooks(app: INestApplicationContext): Promise<BooksReport> {
  return app.get(BooksCheck, { strict: false }).run({ processorSince: new Date(0) });
}

/**
 * Waits until no work is in flight: every outbox event published and no queue job waiting or
 * running (delayed jobs, e.g. dunning retries days away, are not in flight). A payment Stripe
 * took a moment ago whose job is still recording it is not yet a finding; one never recorded is.
 * Gives up after the timeout and lets the check judge what it sees.
 */
async function settle(app: INestApplicationContext, timeoutMs = 20_000): Promise<void> {
  const dataSource = app.get(DataSource, { strict: false });
  const jobs = app.get(JobQueue, { strict: false });
  const deadline = Date.now() + timeoutMs;
  let quietObservations = 0;
  while (quietObservations < 2 && Date.now() < deadline) {
    const [{ unpublished }] = (await dataSource.query(
      `SELECT count(*)::int AS unpublished FROM platform.outbox_events WHERE published_at IS NULL`,
    )) as Array<{ unpublished: number }>;
    let busy = unpublished;
    for (const name of QUEUE_NAMES) {
      const counts = await jobs.queue(name).getJobCounts('waiting', 'active', 'prioritized');
      busy += (counts.waiting ?? 0) + (counts.active ?? 0) + (counts.prioritized ?? 0);
    }
    quietObservations = busy === 0 ? quietObservations + 1 : 0;
    if (quietObservations < 2) await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** For the end of every money suite: lets in-flight work finish, then fails listing the findings. */
export async function expectBooksClean(app: INestApplicationContext): Promise<void> {
  await settle(app);
  const report = await checkBooks(app);
  if (report.findings.length > 0) {
    const lines = report.findings.map(
      (finding) =>
        `  ${finding.kind} ${finding.subject} (${finding.currency} ${finding.amount}): ${finding.message}`,
    );
    throw new Error(`the books are not clean:\n${lines.join('\n')}`);
  }
}
