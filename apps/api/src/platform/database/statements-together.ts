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
  const present = statements.filter((statement): statement is SqlStatement => statement !== null);
  if (present.length === 0) return;
  if (present.length === 1) {
    await preparedQuery(manager, present[0].sql, present[0].params);
    return;
  }
  const params: unknown[] = [];
  const parts = present.map((statement, index) => {
    const offset = params.length;
    params.push(...statement.params);
    const sql = statement.sql.replace(/\$(\d+)/g, (_, position: string) => `$${Number(position) + offset}`);
    return `s${index} AS (${sql})`;
  });
  await preparedQuery(manager, `WITH ${parts.join(',\n')}\nSELECT 1`, params);
}
