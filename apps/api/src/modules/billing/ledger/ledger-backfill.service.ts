import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Journal } from './journal.service';
import { LEDGER_BACKFILL_SOURCES, type LedgerBackfillSource } from './ledger-backfill-sources';
import { LedgerPostings } from './ledger-postings.service';

/** What one backfill run posted, per source event. */
export interface LedgerBackfillReport {
  /** Entries posted in total. */
  posted: number;
  bySource: Array<{ sourceType: string; event: string; rows: number; posted: number }>;
}

const DEFAULT_BATCH = 500;

/**
 * Posts, for rows that have none, the entries the live paths post (the same builders), oldest first
 * and in batches of their own transactions, so an upgraded database starts balanced. Idempotent:
 * only rows without their entry are read, and posting is once per source event, so a second run
 * posts nothing. Runs at the end of `db migrate` and as `pnpm cli ledger backfill`.
 */
@Injectable()
export class LedgerBackfill {
  private readonly logger = new Logger(LedgerBackfill.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly journal: Journal,
    private readonly postings: LedgerPostings,
  ) {}

  async run(
    options: { batchSize?: number; sources?: readonly LedgerBackfillSource[] } = {},
  ): Promise<LedgerBackfillReport> {
    const batchSize = options.batchSize ?? DEFAULT_BATCH;
    const report: LedgerBackfillReport = { posted: 0, bySource: [] };
    for (const source of options.sources ?? LEDGER_BACKFILL_SOURCES) {
      const done = await this.backfill(source, batchSize);
      report.bySource.push({ sourceType: source.rule.sourceType, event: source.rule.event, ...done });
      report.posted += done.posted;
    }
    return report;
  }

  private async backfill(
    source: LedgerBackfillSource,
    batchSize: number,
  ): Promise<{ rows: number; posted: number }> {
    const { rule } = source;
    let cursor: { at: Date; id: string } | null = null;
    let rows = 0;
    let posted = 0;
    for (;;) {
      // Keyset over (time, id) of the rows still without their entry: a row whose entry cannot be
      // built is passed over (and stays a books-check finding), never retried forever.
      const batch: Array<{ id: string; at: Date }> = await this.dataSource.query(
        `SELECT r.id, r.at FROM (${rule.rows}) r
          WHERE NOT EXISTS (SELECT 1 FROM billing.journal_entries e
                             WHERE e.source_type = $1 AND e.source_id = r.id AND e.event = $2)
            AND ($3::timestamptz IS NULL OR (r.at, r.id) > ($3::timestamptz, $4::text))
          ORDER BY r.at, r.id
          LIMIT $5`,
        [rule.sourceType, rule.event, cursor?.at ?? null, cursor?.id ?? null, batchSize],
      );
      if (batch.length === 0) break;
      const last = batch[batch.length - 1];
      cursor = { at: last.at, id: last.id };
      rows += batch.length;
      posted += await this.dataSource.transaction(async (manager) => {
        await source.post(
          manager,
          batch.map((row) => row.id),
          { journal: this.journal, postings: this.postings },
        );
        const [{ count }]: Array<{ count: number }> = await manager.query(
          `SELECT count(*)::int AS count FROM billing.journal_entries
            WHERE source_type = $1 AND event = $2 AND source_id = ANY($3::text[])`,
          [rule.sourceType, rule.event, batch.map((row) => row.id)],
        );
        return count;
      });
      if (batch.length < batchSize) break;
    }
    if (rows > 0)
      this.logger.log(
        `ledger backfill: ${rule.event} of ${rule.sourceType}: ${posted} of ${rows} rows posted`,
      );
    return { rows, posted };
  }
}
