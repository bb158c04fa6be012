import { createHash } from 'node:crypto';
import type { EntityManager } from 'typeorm';

/**
 * Distinct texts named so far, each prepared once per connection that runs it. Past this many the
 * text is plainly not fixed (a caller spliced values in): it runs unnamed rather than filling every
 * connection with statements used once.
 */
export const MAX_PREPARED_TEXTS = 500;

const namesByText = new Map<string, string>();

/** Postgres names are at most 63 bytes; 24 hex digits of SHA-1 make a collision between our texts moot. */
export function preparedName(sql: string): string | null {
  const known = namesByText.get(sql);
  if (known !== undefined) return known;
  if (namesByText.size >= MAX_PREPARED_TEXTS) return null;
  const name = `astrix_${createHash('sha1').update(sql).digest('hex').slice(0, 24)}`;
  namesByText.set(sql, name);
  return name;
}

/** node-postgres' query config: with a name, pg parses it on a connection once and binds it after. */
class NamedQuery {
  constructor(
    readonly name: string,
    readonly text: string,
  ) {}

  /** What TypeORM logs and puts in a QueryFailedError. */
  toString(): string {
    return this.text;
  }

  /** pg writes the parameters onto its config: a logged error shows the SQL only, never them. */
  toJSON(): string {
    return this.text;
  }
}

/**
 * `manager.query` for a hot path's fixed-text statement, run as a named prepared statement: Postgres
 * parses, analyses and plans it once per connection instead of on every call, which for the billing
 * run's and the usage ingest's wide CTEs costs more than executing them (docs/performance.md, #25
 * eleventh session). Same transaction, result shape and errors as `manager.query`.
 *
 * Only for text that never varies: lists go in as array parameters, never spliced into the SQL.
 */
export function preparedQuery<T>(
  manager: EntityManager,
  sql: string,
  params: readonly unknown[],
): Promise<T> {
  // TypeORM hands its query argument to pg untouched, so a pg query config passes through it
  // (logged and reported by its text); typed as the string TypeORM declares.
  return manager.query(pgQueryOf(sql) as unknown as string, [...params]) as Promise<T>;
}

/** What node-postgres is given for `sql`: a named query, prepared once per connection (or the text). */
export function pgQueryOf(sql: string): string | NamedQuery {
  const name = preparedName(sql);
  return name === null ? sql : new NamedQuery(name, sql);
}
