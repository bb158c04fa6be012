import type { Socket } from 'node:net';
import type { EntityManager } from 'typeorm';

/** The socket under a transaction's connection (TypeORM's query runner holds pg's client). */
function socketOf(manager: EntityManager): Socket | undefined {
  const runner = manager.queryRunner as
    { databaseConnection?: { connection?: { stream?: Socket } } } | undefined;
  return runner?.databaseConnection?.connection?.stream;
}

/**
 * Runs `work`, which issues several statements at once on the manager's connection (its
 * `Promise.all`), with the connection's socket corked until they have all been handed to pg: the
 * pool pipelines them (data-source-options.ts) and this makes them leave in one write instead of one
 * each. A socket write is a system call that on this machine kind costs more CPU than binding and
 * sending a statement (docs/performance.md, #25 twelfth session). Outside a transaction it just runs
 * `work`.
 */
export function issuedTogether<T>(manager: EntityManager, work: () => Promise<T>): Promise<T> {
  const socket = socketOf(manager);
  if (socket === undefined || socket.destroyed) return work();
  socket.cork();
  // TypeORM hands each statement to pg after a few awaits of its own: all of them have run by the
  // time the event loop turns (setImmediate), whatever the statements' number.
  setImmediate(() => socket.uncork());
  return work();
}
