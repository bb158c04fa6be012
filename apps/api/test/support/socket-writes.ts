import type { Socket } from 'node:net';
import type { QueryRunner } from 'typeorm';

/** Counts the writes the transaction's socket makes while `work` runs (pg's, corked or not). */
export async function countingWrites<T>(
  runner: QueryRunner,
  work: () => Promise<T>,
): Promise<{ result: T; writes: number }> {
  const socket = (runner as unknown as { databaseConnection: { connection: { stream: Socket } } })
    .databaseConnection.connection.stream;
  const internals = socket as unknown as Record<'_write' | '_writev', (...args: unknown[]) => unknown>;
  const original = { write: internals._write, writev: internals._writev };
  let writes = 0;
  internals._write = function (this: unknown, ...args: unknown[]) {
    writes += 1;
    return original.write.apply(this, args);
  };
  internals._writev = function (this: unknown, ...args: unknown[]) {
    writes += 1;
    return original.writev.apply(this, args);
  };
  try {
    return { result: await work(), writes };
  } finally {
    internals._write = original.write;
    internals._writev = original.writev;
  }
}
