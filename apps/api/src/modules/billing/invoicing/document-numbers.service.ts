import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { preparedQuery } from '../../../platform/database/prepared-query';

/** Every document kind with a number series of its own, restarting each calendar year (UTC). */
export type DocumentKind = 'invoice' | 'credit-note';

const NUMBER_PREFIX: Record<DocumentKind, string> = {
  invoice: 'AST',
  'credit-note': 'AST-CN',
};

const NUMBER_DIGITS = 6;

/** The series a document issued at `issuedAt` draws from, e.g. `invoice-2026`. */
export function documentSeries(kind: DocumentKind, issuedAt: Date): string {
  return `${kind}-${issuedAt.getUTCFullYear()}`;
}

/** The printed number, e.g. `AST-2026-000001` or `AST-CN-2026-000001`. */
export function formatDocumentNumber(kind: DocumentKind, issuedAt: Date, sequence: number): string {
  if (!Number.isSafeInteger(sequence) || sequence < 1) {
    throw new Error(`document sequence ${sequence} must be a positive integer`);
  }
  const digits = String(sequence).padStart(NUMBER_DIGITS, '0');
  return `${NUMBER_PREFIX[kind]}-${issuedAt.getUTCFullYear()}-${digits}`;
}

/**
 * Gap-free document numbers. The upsert takes the series row's lock inside the caller's
 * transaction: concurrent issuers wait for each other, and a rollback gives the number back.
 * The lock is held until the caller commits, so issue documents late in a transaction.
 */
@Injectable()
export class DocumentNumbers {
  async next(manager: EntityManager, series: string): Promise<number> {
    // Outside a transaction the number would commit on its own and a later failure would leave a gap.
    if (!manager.queryRunner?.isTransactionActive) {
      throw new Error(`document number of series ${series} must be taken inside a transaction`);
    }
    const rows: Array<{ last_number: string }> = await preparedQuery(
      manager,
      `INSERT INTO billing.document_number_series (series, last_number) VALUES ($1, 1)
       ON CONFLICT (series) DO UPDATE SET last_number = document_number_series.last_number + 1
       RETURNING last_number`,
      [series],
    );
    const taken = Number(rows[0].last_number);
    if (!Number.isSafeInteger(taken)) throw new Error(`series ${series} is past the safe integer range`);
    return taken;
  }

  /** Takes the next number of `kind` for the year of `issuedAt` and formats it. */
  async nextFormatted(manager: EntityManager, kind: DocumentKind, issuedAt: Date): Promise<string> {
    const sequence = await this.next(manager, documentSeries(kind, issuedAt));
    return formatDocumentNumber(kind, issuedAt, sequence);
  }

  /**
   * Takes `count` consecutive numbers of `kind` for the year of `issuedAt` in one statement and returns
   * them formatted, in order: the billing run numbers a whole batch of invoices this way, taking the
   * series lock just before it writes them (the lock is held until the caller commits).
   */
  async takeMany(
    manager: EntityManager,
    kind: DocumentKind,
    issuedAt: Date,
    count: number,
  ): Promise<string[]> {
    if (count === 0) return [];
    if (!Number.isSafeInteger(count) || count < 0) throw new Error(`cannot take ${count} document numbers`);
    const series = documentSeries(kind, issuedAt);
    if (!manager.queryRunner?.isTransactionActive) {
      throw new Error(`document numbers of series ${series} must be taken inside a transaction`);
    }
    const rows: Array<{ last_number: string }> = await preparedQuery(
      manager,
      `INSERT INTO billing.document_number_series (series, last_number) VALUES ($1, $2::bigint)
       ON CONFLICT (series) DO UPDATE SET last_number = document_number_series.last_number + $2::bigint
       RETURNING last_number`,
      [series, count],
    );
    const last = Number(rows[0].last_number);
    if (!Number.isSafeInteger(last)) throw new Error(`series ${series} is past the safe integer range`);
    return Array.from({ length: count }, (_, index) =>
      formatDocumentNumber(kind, issuedAt, last - count + 1 + index),
    );
  }
}
