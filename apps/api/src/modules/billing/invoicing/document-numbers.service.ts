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
 * Numbers taken inside a statement that writes the numbered rows: `cte` takes `count` numbers (a
 * data-modifying CTE named as the caller likes, taking the series lock till commit); `numberOf` is the
 * SQL of the number at a 1-based position among them, given the CTE's name and the position's SQL,
 * formatted as formatDocumentNumber formats it; `params` are the CTE's, numbered from `firstParam`.
 */
export interface NumbersInStatement {
  cte: string;
  numberOf(cteName: string, position: string): string;
  params: unknown[];
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
   * `count` consecutive numbers of `kind` for the year of `issuedAt`, taken by the statement that writes
   * the rows they number (see NumbersInStatement): the series lock is then taken by that statement, and
   * no round trip to the client separates it from the rows. The caller must run the statement inside a
   * transaction (a rollback gives the numbers back).
   */
  inStatement(kind: DocumentKind, issuedAt: Date, count: number, firstParam: number): NumbersInStatement {
    if (!Number.isSafeInteger(count) || count < 1) throw new Error(`cannot take ${count} document numbers`);
    const [series, taken, prefix] = [firstParam, firstParam + 1, firstParam + 2].map((n) => `$${n}`);
    return {
      cte: `INSERT INTO billing.document_number_series (series, last_number) VALUES (${series}, ${taken}::bigint)
            ON CONFLICT (series) DO UPDATE SET last_number = document_number_series.last_number + ${taken}::bigint
            RETURNING last_number`,
      // formatDocumentNumber's padStart: at least NUMBER_DIGITS digits, never cut (lpad would cut).
      numberOf: (cteName, position) => {
        const sequence = `(${cteName}.last_number - ${taken}::bigint + ${position})::text`;
        return `${prefix}::text || repeat('0', greatest(0, ${NUMBER_DIGITS} - length(${sequence}))) || ${sequence}`;
      },
      params: [documentSeries(kind, issuedAt), count, `${NUMBER_PREFIX[kind]}-${issuedAt.getUTCFullYear()}-`],
    };
  }
}
