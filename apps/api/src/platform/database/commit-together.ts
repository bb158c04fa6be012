import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import { DataSource, EntityManager, QueryFailedError } from 'typeorm';
import { pgQueryOf } from './prepared-query';
import type { SqlStatement } from './statements-together';

/**
 * Ends the transaction: runs the statements, then commits, all sent in one write. Resolves to each
 * statement's rows, in order, once the commit is answered.
 */
export type CommitWith = (statements: readonly SqlStatement[]) => Promise<unknown[][]>;

/** The parts of node-postgres' client this needs (TypeORM's query runner holds it once connected). */
interface PgClient {
  query(query: unknown, params?: unknown[]): Promise<{ command: string; rows: unknown[] }>;
  connection?: { stream?: Socket };
}

/**
 * node-postgres' own mapping of a parameter to the wire, the only step at which it can refuse a
 * statement on our side (a value it cannot serialize). It then drops that statement and goes on with
 * the next: the COMMIT behind it would commit the transaction without it, so every parameter is
 * mapped first, before anything is sent.
 */
const { prepareValue } = createRequire(__filename)('pg/lib/utils') as {
  prepareValue(value: unknown): unknown;
};

/** TypeORM's query runner state, which this ends itself when the commit went out with the statements. */
interface RunnerState {
  databaseConnection?: PgClient;
  isTransactionActive: boolean;
  transactionDepth: number;
}

/**
 * A transaction whose last statements leave together with its COMMIT: `work` ends it by calling
 * `commitWith`, and does not wait a round trip for their answers before committing. For a transaction
 * that holds a hot lock until it ends (the billing run's invoice numbers): the lock is held one round
 * trip less. A `work` that never calls it is committed as usual.
 *
 * The order is node-postgres' own: the statements and the COMMIT are handed to the connection one
 * after the other in one synchronous stretch, and it sends a connection's statements in the order
 * given (pipelined or not). If a statement fails, Postgres rolls the transaction back at the COMMIT
 * (its answer is ROLLBACK): the statement's error is thrown, and nothing of the transaction stays. A
 * parameter node-postgres cannot serialize throws before anything is sent (the transaction is then
 * rolled back as usual).
 */
export async function transactionCommittedWith<T>(
  dataSource: DataSource,
  work: (manager: EntityManager, commitWith: CommitWith) => Promise<T>,
): Promise<T> {
  const runner = dataSource.createQueryRunner();
  const state = runner as unknown as RunnerState;
  let ended = false;
  try {
    await runner.connect();
    await runner.startTransaction();
    const commitWith: CommitWith = async (statements) => {
      if (ended) throw new Error('the transaction has already ended');
      const client = state.databaseConnection;
      if (client === undefined) throw new Error('the query runner holds no connection');
      for (const statement of statements) statement.params.forEach((value) => prepareValue(value));
      ended = true;
      const stream = client.connection?.stream;
      stream?.cork();
      const answers = statements.map((statement) =>
        client.query(pgQueryOf(statement.sql), [...statement.params]).then(
          (answer) => answer.rows,
          (error: unknown) => {
            throw new QueryFailedError(statement.sql, [], error as Error);
          },
        ),
      );
      const committed = client.query('COMMIT');
      stream?.uncork();
      const settled = await Promise.allSettled([...answers, committed]);
      state.isTransactionActive = false;
      state.transactionDepth = 0;
      const failure = settled.find((answer) => answer.status === 'rejected');
      if (failure) throw failure.reason;
      const commit = settled[settled.length - 1] as PromiseFulfilledResult<{ command: string }>;
      // Postgres answers ROLLBACK to the COMMIT of a transaction that had failed.
      if (commit.value.command !== 'COMMIT') {
        throw new Error(`the transaction was not committed: Postgres answered ${commit.value.command}`);
      }
      return settled.slice(0, -1).map((answer) => (answer as PromiseFulfilledResult<unknown[]>).value);
    };
    const result = await work(runner.manager, commitWith);
    if (!ended) await runner.commitTransaction();
    return result;
  } catch (error) {
    if (!ended && runner.isTransactionActive) await runner.rollbackTransaction();
    throw error;
  } finally {
    await runner.release();
  }
}
