/** Injection token: true when this process runs queue workers and the outbox relay. */
export const WORKER_ROLE = Symbol('WORKER_ROLE');
