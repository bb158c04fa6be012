import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In, MoreThan } from 'typeorm';
import { Journal } from '../billing';
import { PayoutJournal } from './payout-journal.service';
import { PayoutLedgerEntry } from './payout-ledger-entry.entity';
import { Payout } from './payout.entity';

const DEFAULT_BATCH = 200;

/** What one run posted. */
export interface PayoutJournalBackfillReport {
  /** Payouts looked at. */
  payouts: number;
  /** Journal entries posted (0 on a second run). */
  posted: number;
}

/**
 * Posts the journal entries of payouts moved before the journal existed, from payouts' own ledger:
 * every reservation, payment and release gets its `payout.reserved`, `payout.paid` and
 * `payout.released` (the same builders and order as the live path). Idempotent: the journal posts
 * each source event once, so a second run posts nothing. Runs with `db migrate` and
 * `pnpm cli ledger backfill`, after billing's backfill.
 */
@Injectable()
export class PayoutJournalBackfill {
  private readonly logger = new Logger(PayoutJournalBackfill.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly journal: PayoutJournal,
  ) {}

  /** For `db migrate`, which runs without the Nest container. */
  static create(dataSource: DataSource, journal: Journal): PayoutJournalBackfill {
    return new PayoutJournalBackfill(dataSource, new PayoutJournal(journal));
  }

  async run(options: { batchSize?: number } = {}): Promise<PayoutJournalBackfillReport> {
    const batchSize = options.batchSize ?? DEFAULT_BATCH;
    const report: PayoutJournalBackfillReport = { payouts: 0, posted: 0 };
    let cursor = '';
    for (;;) {
      const payouts = await this.dataSource
        .getRepository(Payout)
        .find({ where: { id: MoreThan(cursor) }, order: { id: 'ASC' }, take: batchSize });
      if (payouts.length === 0) break;
      cursor = payouts[payouts.length - 1].id;
      report.payouts += payouts.length;
      report.posted += await this.dataSource.transaction(async (manager) => {
        const entries = await manager.find(PayoutLedgerEntry, {
          where: {
            payoutId: In(payouts.map((payout) => payout.id)),
            kind: In(['reservation', 'payment', 'release']),
          },
        });
        let posted = 0;
        for (const payout of payouts) {
          const of = (kind: PayoutLedgerEntry['kind']) =>
            entries.find((entry) => entry.payoutId === payout.id && entry.kind === kind);
          if (!of('reservation')) continue;
          posted += await this.journal.reserved(manager, payout);
          const payment = of('payment');
          if (payment) posted += await this.journal.paid(manager, payout, payout.paidAt ?? payment.createdAt);
          const release = of('release');
          if (release) posted += await this.journal.released(manager, payout, release.createdAt);
        }
        return posted;
      });
      if (payouts.length < batchSize) break;
    }
    if (report.posted > 0)
      this.logger.log(`payout journal backfill: ${report.posted} entries for ${report.payouts} payouts`);
    return report;
  }
}
