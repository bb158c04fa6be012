import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { AuditService } from '../../../platform/audit/audit.service';
import { actorLabel, type RequestContext } from '../../../platform/auth/actor';
import { Clock } from '../../../platform/clock';
import { parseEcbCsv } from './ecb-csv';
import { FxRate } from './fx-rate.entity';
import { type DailyRate, type FxSnapshot, REPORTING_CURRENCY, snapshotFrom } from './fx-snapshot';
import { preparedQuery } from '../../../platform/database/prepared-query';

/** A rate older than this is stale: no snapshot rather than a wrong one. */
const MAX_RATE_AGE_DAYS = 31;

export const dayOf = (at: Date): string => at.toISOString().slice(0, 10);
const snapshotKey = (currency: string, day: string): string => `${currency}|${day}`;

/** Snapshots for (currency, instant) pairs, keyed by `currency|YYYY-MM-DD`; null where no rate is known. */
export async function lookupSnapshots(
  manager: EntityManager,
  wanted: ReadonlyArray<{ currency: string; at: Date }>,
): Promise<Map<string, FxSnapshot | null>> {
  const result = new Map<string, FxSnapshot | null>();
  if (wanted.length === 0) return result;
  if (wanted.every((item) => item.currency === REPORTING_CURRENCY)) {
    for (const { currency, at } of wanted) {
      result.set(snapshotKey(currency, dayOf(at)), snapshotFrom([], currency, REPORTING_CURRENCY, dayOf(at)));
    }
    return result;
  }
  const days = wanted.map((item) => dayOf(item.at)).sort();
  const currencies = [...new Set([...wanted.map((item) => item.currency), REPORTING_CURRENCY])];
  const rates = (await preparedQuery(
    manager,
    `SELECT to_char(day, 'YYYY-MM-DD') AS day, base, quote, rate, source FROM billing.fx_rates
      WHERE day <= $1::date AND day >= $2::date - $3::int AND (base = ANY($4) OR quote = ANY($4))`,
    [days[days.length - 1], days[0], MAX_RATE_AGE_DAYS, currencies],
  )) as DailyRate[];
  for (const { currency, at } of wanted) {
    const day = dayOf(at);
    const key = snapshotKey(currency, day);
    if (result.has(key)) continue;
    const fresh = rates.filter(
      (rate) => Date.parse(day) - Date.parse(rate.day) <= MAX_RATE_AGE_DAYS * 86_400_000,
    );
    result.set(key, snapshotFrom(fresh, currency, REPORTING_CURRENCY, day));
  }
  return result;
}

export interface FxRateView {
  day: string;
  base: string;
  quote: string;
  rate: string;
  source: string;
  updatedAt: string;
  updatedBy: string;
}

const view = (row: FxRate): FxRateView => ({ ...row, updatedAt: row.updatedAt.toISOString() });

/**
 * The FX rate table (this folder is its only writer) and the snapshots taken from it: the rate to
 * the reporting currency of the day a document or journal line happened.
 */
@Injectable()
export class FxRates {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  /** Snapshots for (currency, instant) pairs, keyed by `currency|YYYY-MM-DD`; null where no rate is known. */
  snapshots(
    manager: EntityManager,
    wanted: ReadonlyArray<{ currency: string; at: Date }>,
  ): Promise<Map<string, FxSnapshot | null>> {
    return lookupSnapshots(manager, wanted);
  }

  async snapshot(manager: EntityManager, currency: string, at: Date): Promise<FxSnapshot | null> {
    return (await this.snapshots(manager, [{ currency, at }])).get(snapshotKey(currency, dayOf(at))) ?? null;
  }

  async list(day?: string): Promise<FxRateView[]> {
    const rows = await this.dataSource.getRepository(FxRate).find({
      where: day === undefined ? {} : { day },
      order: { day: 'DESC', base: 'ASC', quote: 'ASC' },
      take: 500,
    });
    return rows.map(view);
  }

  /** Sets (or corrects) the rate of a pair on a day; audited with the value it replaced. */
  async setRate(
    input: { day: string; base: string; quote: string; rate: string },
    context: RequestContext,
  ): Promise<FxRateView> {
    return this.dataSource.transaction(async (manager) => {
      const before = await manager.findOne(FxRate, {
        where: { day: input.day, base: input.base, quote: input.quote },
      });
      const row: FxRate = {
        ...input,
        source: 'admin',
        updatedAt: this.clock.now(),
        updatedBy: actorLabel(context.actor),
      };
      await manager.upsert(FxRate, row, ['day', 'base', 'quote']);
      await this.audit.record(manager, context, {
        action: 'fx_rate.set',
        resourceType: 'fx_rate',
        resourceId: `${input.day}:${input.base}:${input.quote}`,
        before: before === null ? null : { rate: before.rate, source: before.source },
        after: { rate: row.rate, source: row.source },
      });
      return view(row);
    });
  }

  /** Imports an ECB-style CSV (1 EUR = x per currency and day) in one transaction; returns the rows written. */
  async importEcbCsv(text: string, context: RequestContext): Promise<{ rates: number; days: number }> {
    const parsed = parseEcbCsv(text);
    return this.dataSource.transaction(async (manager) => {
      const now = this.clock.now();
      const by = actorLabel(context.actor);
      for (let start = 0; start < parsed.length; start += 1_000) {
        await manager.upsert(
          FxRate,
          parsed
            .slice(start, start + 1_000)
            .map((rate) => ({ ...rate, source: 'ecb', updatedAt: now, updatedBy: by })),
          ['day', 'base', 'quote'],
        );
      }
      const days = new Set(parsed.map((rate) => rate.day));
      await this.audit.record(manager, context, {
        action: 'fx_rates.imported',
        resourceType: 'fx_rate',
        resourceId: `ecb:${[...days].sort()[0]}..${[...days].sort().pop() ?? ''}`,
        after: { rates: parsed.length, days: days.size, source: 'ecb' },
      });
      return { rates: parsed.length, days: days.size };
    });
  }
}
