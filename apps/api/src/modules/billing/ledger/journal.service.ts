import { Injectable } from '@nestjs/common';
import { assertBalancedJournal } from '@astrix/pricing';
import type { EntityManager } from 'typeorm';
import { newId } from '../../../platform/ids';
import type { LedgerAccountCode, RevenueKind } from './chart-of-accounts';
import { JournalEntry, JournalLine, type LedgerSourceType } from './journal-entry.entity';
import { dayOf, lookupSnapshots } from '../fx/fx-rates.service';
import type { FxSnapshot } from '../fx/fx-snapshot';
import { preparedQuery } from '../../../platform/database/prepared-query';

/** One line of an entry to post: debit or credit (the other side zero or absent). */
export interface JournalLineDraft {
  readonly account: LedgerAccountCode;
  readonly currency: string;
  readonly debit?: number;
  readonly credit?: number;
  /** Defaults to the entry's customer. */
  readonly customerId?: string | null;
  /**
   * The product kind the line is about. Set it on contra-revenue lines (`discounts`, `refunds`)
   * so the revenue report can group them per kind; revenue lines may carry it too (their account
   * already names it). Absent or null: reported as 'unassigned'.
   */
  readonly productKind?: RevenueKind | null;
  /**
   * The line's FX snapshot to the reporting currency when it must not be the rate of its currency
   * on the entry's day: a line carried at the rate its amount was booked at (the reconciliation's
   * row-currency half of a currency conversion). Absent: the entry's day, as for every other line.
   */
  readonly fx?: FxSnapshot;
}

/** An entry to post: what moved the money, when, and its lines. */
export interface JournalEntryDraft {
  readonly sourceType: LedgerSourceType;
  readonly sourceId: string;
  readonly event: string;
  readonly occurredAt: Date;
  readonly customerId?: string | null;
  readonly memo?: string | null;
  readonly lines: readonly JournalLineDraft[];
}

/**
 * The only writer of the journal. Callers post inside the transaction of the state change the
 * entry records, so both commit or neither does. Posting is idempotent per (source type, source
 * id, event): a replayed webhook or retried job posts nothing the second time.
 */
/** The FX snapshot columns of a journal line, from the rate of its currency on its day. */
function fxColumns(snapshot: FxSnapshot | null | undefined): {
  reportingCurrency: string | null;
  fxRate: string | null;
  fxSource: string | null;
  fxAsOf: Date | null;
} {
  return {
    reportingCurrency: snapshot?.reportingCurrency ?? null,
    fxRate: snapshot?.rate ?? null,
    fxSource: snapshot?.source ?? null,
    fxAsOf: snapshot?.asOf ?? null,
  };
}

@Injectable()
export class Journal {
  /**
   * Posts a balanced entry; zero-amount lines are dropped. Returns the entry, or null when the
   * source event was already posted or nothing moves.
   */
  async post(manager: EntityManager, draft: JournalEntryDraft): Promise<JournalEntry | null> {
    const lines = draft.lines
      .map((line) => ({ ...line, debit: line.debit ?? 0, credit: line.credit ?? 0 }))
      .filter((line) => line.debit !== 0 || line.credit !== 0);
    if (lines.length === 0) return null;
    assertBalancedJournal(lines, `${draft.event} of ${draft.sourceType} ${draft.sourceId}`);

    const entry: JournalEntry = {
      id: newId('je'),
      sourceType: draft.sourceType,
      sourceId: draft.sourceId,
      event: draft.event,
      occurredAt: draft.occurredAt,
      postedAt: new Date(),
      customerId: draft.customerId ?? null,
      memo: draft.memo ?? null,
      reversesEntryId: null,
    };
    return this.insert(manager, entry, lines);
  }

  /**
   * Posts many entries with one statement for the entries and their lines together (the billing run
   * issues invoices in batches; the backfill posts history in batches). Same rules as `post`: each
   * draft must balance, zero lines are dropped, an entry with nothing left or already posted is
   * skipped (and so are its lines). Returns the entries inserted. `knownFx`: snapshots the caller
   * already took (keyed as `lookupSnapshots` keys them), so only the others are read.
   */
  async postMany(
    manager: EntityManager,
    drafts: readonly JournalEntryDraft[],
    knownFx?: ReadonlyMap<string, FxSnapshot | null>,
  ): Promise<JournalEntry[]> {
    const postedAt = new Date();
    const prepared = drafts
      .map((draft) => {
        const lines = draft.lines
          .map((line) => ({ ...line, debit: line.debit ?? 0, credit: line.credit ?? 0 }))
          .filter((line) => line.debit !== 0 || line.credit !== 0);
        if (lines.length > 0)
          assertBalancedJournal(lines, `${draft.event} of ${draft.sourceType} ${draft.sourceId}`);
        const entry: JournalEntry = {
          id: newId('je'),
          sourceType: draft.sourceType,
          sourceId: draft.sourceId,
          event: draft.event,
          occurredAt: draft.occurredAt,
          postedAt,
          customerId: draft.customerId ?? null,
          memo: draft.memo ?? null,
          reversesEntryId: null,
        };
        return { entry, lines };
      })
      .filter((item) => item.lines.length > 0);
    if (prepared.length === 0) return [];
    const fxKey = (currency: string, at: Date): string => `${currency}|${dayOf(at)}`;
    const looked = await lookupSnapshots(
      manager,
      prepared.flatMap(({ entry, lines }) =>
        lines
          .filter((line) => !line.fx && !knownFx?.has(fxKey(line.currency, entry.occurredAt)))
          .map((line) => ({ currency: line.currency, at: entry.occurredAt })),
      ),
    );
    const snapshotOf = (currency: string, at: Date): FxSnapshot | null | undefined =>
      knownFx?.get(fxKey(currency, at)) ?? looked.get(fxKey(currency, at));
    const column = <K extends keyof JournalEntry>(key: K): Array<JournalEntry[K]> =>
      prepared.map((item) => item.entry[key]);
    const rows = prepared.flatMap(({ entry, lines }) =>
      lines.map((line) => ({
        entryId: entry.id,
        account: line.account,
        currency: line.currency,
        debit: line.debit,
        credit: line.credit,
        customerId: line.customerId === undefined ? entry.customerId : line.customerId,
        occurredAt: entry.occurredAt,
        productKind: line.productKind ?? null,
        ...fxColumns(line.fx ?? snapshotOf(line.currency, entry.occurredAt)),
      })),
    );
    const of = <K extends keyof (typeof rows)[number]>(key: K): Array<(typeof rows)[number][K]> =>
      rows.map((row) => row[key]);
    // The lines of an entry already posted (the conflict) are not written: they are the entry's own.
    const inserted: Array<{ id: string }> = await preparedQuery(
      manager,
      `WITH e AS (
         INSERT INTO "billing"."journal_entries"
           ("id", "source_type", "source_id", "event", "occurred_at", "posted_at", "customer_id", "memo")
         SELECT id, source_type, source_id, event, occurred_at, $6, customer_id, memo
           FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $7::text[], $8::text[])
             AS e(id, source_type, source_id, event, occurred_at, customer_id, memo)
         ON CONFLICT ("source_type", "source_id", "event") DO NOTHING
         RETURNING "id"
       ), l AS (
         INSERT INTO "billing"."journal_lines"
           ("entry_id", "account", "currency", "debit", "credit", "customer_id", "occurred_at", "product_kind",
            "reporting_currency", "fx_rate", "fx_source", "fx_as_of")
         SELECT l.* FROM unnest($9::text[], $10::text[], $11::text[], $12::bigint[], $13::bigint[], $14::text[],
                                $15::timestamptz[], $16::text[], $17::text[], $18::text[], $19::text[],
                                $20::timestamptz[])
             AS l(entry_id, account, currency, debit, credit, customer_id, occurred_at, product_kind,
                  reporting_currency, fx_rate, fx_source, fx_as_of)
          WHERE l.entry_id IN (SELECT id FROM e)
       )
       SELECT id FROM e`,
      [
        column('id'),
        column('sourceType'),
        column('sourceId'),
        column('event'),
        column('occurredAt'),
        postedAt,
        column('customerId'),
        column('memo'),
        of('entryId'),
        of('account'),
        of('currency'),
        of('debit'),
        of('credit'),
        of('customerId'),
        of('occurredAt'),
        of('productKind'),
        of('reportingCurrency'),
        of('fxRate'),
        of('fxSource'),
        of('fxAsOf'),
      ],
    );
    const kept = new Set(inserted.map((row) => row.id));
    return prepared.filter((item) => kept.has(item.entry.id)).map((item) => item.entry);
  }

  /** Posts the mirror image of an entry (debits become credits), naming it; once per entry. */
  async reverse(
    manager: EntityManager,
    entryId: string,
    reversal: { event: string; occurredAt: Date; memo?: string | null },
  ): Promise<JournalEntry | null> {
    const original = await manager.findOneByOrFail(JournalEntry, { id: entryId });
    const lines = await manager.find(JournalLine, { where: { entryId }, order: { id: 'ASC' } });
    const entry: JournalEntry = {
      id: newId('je'),
      sourceType: original.sourceType,
      sourceId: original.sourceId,
      event: reversal.event,
      occurredAt: reversal.occurredAt,
      postedAt: new Date(),
      customerId: original.customerId,
      memo: reversal.memo ?? `reverses ${original.id}`,
      reversesEntryId: original.id,
    };
    return this.insert(
      manager,
      entry,
      lines.map((line) => ({
        account: line.account as LedgerAccountCode,
        currency: line.currency,
        debit: line.credit,
        credit: line.debit,
        customerId: line.customerId,
        productKind: line.productKind,
      })),
    );
  }

  /** The entry posted for a source event, if any. */
  async find(
    manager: EntityManager,
    source: { sourceType: LedgerSourceType; sourceId: string; event: string },
  ): Promise<JournalEntry | null> {
    return manager.findOneBy(JournalEntry, source);
  }

  private async insert(
    manager: EntityManager,
    entry: JournalEntry,
    lines: readonly (JournalLineDraft & { debit: number; credit: number })[],
  ): Promise<JournalEntry | null> {
    const inserted: unknown[] = await preparedQuery(
      manager,
      `INSERT INTO "billing"."journal_entries"
         ("id", "source_type", "source_id", "event", "occurred_at", "posted_at", "customer_id", "memo", "reverses_entry_id")
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT ("source_type", "source_id", "event") DO NOTHING
       RETURNING "id"`,
      [
        entry.id,
        entry.sourceType,
        entry.sourceId,
        entry.event,
        entry.occurredAt,
        entry.postedAt,
        entry.customerId,
        entry.memo,
        entry.reversesEntryId,
      ],
    );
    if (inserted.length === 0) return null;
    const snapshots = await lookupSnapshots(
      manager,
      lines.map((line) => ({ currency: line.currency, at: entry.occurredAt })),
    );
    await manager.insert(
      JournalLine,
      lines.map((line) => ({
        entryId: entry.id,
        account: line.account,
        currency: line.currency,
        debit: line.debit,
        credit: line.credit,
        customerId: line.customerId === undefined ? entry.customerId : line.customerId,
        occurredAt: entry.occurredAt,
        productKind: line.productKind ?? null,
        ...fxColumns(line.fx ?? snapshots.get(`${line.currency}|${dayOf(entry.occurredAt)}`)),
      })),
    );
    return entry;
  }
}
