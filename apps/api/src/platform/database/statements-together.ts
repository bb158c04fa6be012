import type { EntityManager } from 'typeorm';
import { preparedQuery } from './prepared-query';

/** One SQL statement and its parameters ($1, $2… numbered from 1). */
export interface SqlStatement {
  sql: string;
  params: unknown[];
}

/**
 * Runs data-modifying statements (INSERT, UPDATE or DELETE whose results nobody reads) as one: each
 * becomes a CTE of a single WITH, its parameters renumbered after the previous statement's. One
 * round trip instead of one per statement, in the caller's transaction. All of them see the same
 * snapshot, so none may depend on rows another one writes; their text must hold no `$n` other than
 * parameters (no dollar quoting). Absent (null) statements are skipped.
 */
export async function runStatementsTogether(
  manager: EntityManager,
  statements: ReadonlyArray<SqlStatement | null>,
): Promise<void> {
  const together = statementsAsOne(statements);
  if (together !== null) await preparedQuery(manager, together.sql, together.params);
}

/** The statement runStatementsTogether runs (null when none is present), for a caller that sends it. */
export function statementsAsOne(statements: ReadonlyArray<SqlStatement | null>): SqlStatement | null {
  const present = statements.filter((statement): statement is SqlStatement => statement !== null);
  if (present.length === 0) return null;
  if (present.length === 1) return present[0];
  const params: unknown[] = [];
  const parts = present.map((statement, index) => {
    const offset = params.length;
    params.push(...statement.params);
    const sql = statement.sql.replace(/\$(\d+)/g, (_, position: string) => `$${Number(position) + offset}`);
    return `s${index} AS (${sql})`;
  });
  return { sql: `WITH ${parts.join(',\n')}\nSELECT 1`, params };
}

const SQL_FUNCTION_NAME = /^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*$/;

/**
 * The SQL of a document column (JSON text) as a statement writes it: through `fill`, a schema-qualified
 * SQL function taking the document and its subject's id and returning the text to store, or as is.
 * For documents holding a value that exists only once an earlier statement of the same transaction has
 * run (an invoice number taken with the invoice's row: invoice-numbers-in-documents.ts).
 */
export function documentColumn(column: string, subject: string, fill: string | undefined): string {
  if (fill === undefined) return column;
  if (!SQL_FUNCTION_NAME.test(fill)) throw new Error(`${fill} is not a schema-qualified function name`);
  return `${fill}(${column}, ${subject})`;
}
