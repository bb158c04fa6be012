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

/** Tables whose rows carry a document number in a `number` column. */
export type NumberedTable = 'billing.invoices';

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
   * Numbers the rows `ids` of `table`, in that order, with consecutive numbers of `kind` for the year
   * of `issuedAt`: the numbers are taken and written in one statement (one round trip less while the
   * series is locked), formatted in SQL exactly as formatDocumentNumber does, which is checked here.
   * The billing run numbers a whole batch of invoices this way. Returns the numbers in `ids` order.
   */
  async numberRows(
    manager: EntityManager,
    kind: DocumentKind,
    issuedAt: Date,
    table: NumberedTable,
    ids: readonly string[],
  ): Promise<string[]> {
    if (ids.length === 0) return [];
    const series = documentSeries(kind, issuedAt);
    if (!manager.queryRunner?.isTransactionActive) {
      throw new Error(`document numbers of series ${series} must be taken inside a transaction`);
    }
    // TypeORM answers an UPDATE … RETURNING with [rows, affected]. Not a prepared statement: a plan
    // cached while the table was small would keep scanning it whole as it grows (the billing run's first
    // batches on an empty invoices table: 9.5 ms a batch instead of 3, #25 eleventh session).
    const [rows] = (await manager.query(
      `WITH taken AS (
         INSERT INTO billing.document_number_series (series, last_number) VALUES ($1, $2)
         ON CONFLICT (series) DO UPDATE SET last_number = document_number_series.last_number + $2
         RETURNING last_number
       ), numbered AS (
         SELECT u.id, taken.last_number - $2 + u.position AS sequence
           FROM taken, unnest($3::text[]) WITH ORDINALITY AS u(id, position)
       )
       UPDATE ${table} AS document
          SET number = $4 || CASE WHEN numbered.sequence < $5 THEN lpad(numbered.sequence::text, $6, '0')
                                  ELSE numbered.sequence::text END
         FROM numbered
        WHERE document.id = numbered.id
       RETURNING document.id, document.number, numbered.sequence`,
      [
        series,
        ids.length,
        ids,
        `${NUMBER_PREFIX[kind]}-${issuedAt.getUTCFullYear()}-`,
        10 ** NUMBER_DIGITS,
        NUMBER_DIGITS,
      ],
    )) as [Array<{ id: string; number: string; sequence: string }>, number];
    if (rows.length !== ids.length) {
      throw new Error(`numbered ${rows.length} of ${ids.length} rows of ${table}: some do not exist`);
    }
    const numbers = new Map<string, string>();
    for (const row of rows) {
      const sequence = Number(row.sequence);
      if (row.number !== formatDocumentNumber(kind, issuedAt, sequence)) {
        throw new Error(`number ${row.number} of ${row.id} does not match sequence ${sequence} of ${series}`);
      }
      numbers.set(row.id, row.number);
    }
    return ids.map((id) => numbers.get(id) as string);
  }
}
