import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { Client } from 'pg';
import { AppConfig } from '../config/app-config';

/** Notified (by trigger, in the inserting transaction) when new outbox rows commit. */
export const OUTBOX_CHANNEL = 'astrix_outbox';
/** Notified when event history rows or webhook deliveries commit. */
export const OUTBOUND_CHANNEL = 'astrix_outbound';
/** Notified when billing.entitlements_version is bumped (a definition change committed). */
export const ENTITLEMENTS_CHANNEL = 'astrix_entitlements';
/**
 * Notified, with the customer's id, when what an entitlement check reads about a customer commits
 * (subscriptions, staff grants, hold, reference); an empty payload when a table was emptied outright.
 */
export const CUSTOMER_ROWS_CHANNEL = 'astrix_customer_rows';
export type CommitChannel =
  | typeof OUTBOX_CHANNEL
  | typeof OUTBOUND_CHANNEL
  | typeof ENTITLEMENTS_CHANNEL
  | typeof CUSTOMER_ROWS_CHANNEL;

/**
 * What a handler is told: the notification's payload, or null after a (re)connection, when anything
 * may have been missed.
 */
export type CommitHandler = (payload: string | null) => void;

/** sync() was asked while no connection listens: notifications may be missing, nothing is proven. */
export class ListenerUnavailableError extends Error {
  constructor() {
    super('the commit listener is not connected');
  }
}

const RECONNECT_MIN_MS = 100;
const RECONNECT_MAX_MS = 5_000;
export const LISTENER_APPLICATION_NAME = 'astrix-commit-listener';

/**
 * One dedicated Postgres connection per process, outside the pool, that LISTENs for the channels
 * the relays wake on. Postgres sends a NOTIFY only when the notifying transaction commits, so a
 * wake-up always finds committed rows. When the connection drops (Postgres restarted, the backend
 * was terminated, the network broke) it reconnects with a growing delay, and every handler runs
 * once after each (re)connection, since notifications sent while disconnected are lost. The
 * relays keep a slower poll as well, so a lost notification costs a poll interval, never a row.
 */
@Injectable()
export class CommitListener implements OnApplicationShutdown {
  private readonly logger = new Logger(CommitListener.name);
  private readonly handlers = new Map<CommitChannel, Set<CommitHandler>>();
  private syncWaiters: Array<{ resolve: () => void; reject: (error: unknown) => void }> = [];
  private syncRunning = false;
  private client: Client | null = null;
  private connecting = false;
  private stopped = false;
  private retryMs = RECONNECT_MIN_MS;
  private retryTimer: NodeJS.Timeout | null = null;
  /** Connections established so far (the first one and every reconnection). */
  connections = 0;
  /**
   * Bumped whenever the connection comes or goes: a copy of rows read under one generation may have
   * missed notifications sent while the connection was down, so it is not kept past it.
   */
  generation = 0;

  constructor(private readonly config: AppConfig) {}

  /** Runs `handler` after every commit that notified `channel`, and after each (re)connection. */
  on(channel: CommitChannel, handler: CommitHandler): void {
    const known = this.handlers.get(channel);
    if (known) known.add(handler);
    else this.handlers.set(channel, new Set([handler]));
    const client = this.client;
    if (client) {
      // Already connected: the handler is told (null) once the channel is listened to (LISTEN again is
      // a no-op, and statements on the connection run in order), as after a connection.
      this.listen(client, channel).then(
        () => {
          if (this.client === client) this.notify(handler, channel, null);
        },
        () => this.drop(client),
      );
    } else if (!this.connecting) void this.connect();
  }

  /** Whether the listening connection is up (health, tests). */
  get listening(): boolean {
    return this.client !== null;
  }

  /**
   * Resolves once every notification of every transaction committed before this call has been handed
   * to the handlers. A round trip on the listening connection proves it: the committing backend
   * signals the listening one before its commit returns, and the listening backend sends what it was
   * signalled before it answers a statement read after that, on the same socket, which the client
   * reads in order (notification handlers run before the statement's result resolves). Calls made
   * while a round trip is out wait for the next one, which is sent after them; so one round trip
   * serves every call made meanwhile. Rejects with ListenerUnavailableError while not connected.
   */
  sync(): Promise<void> {
    if (!this.client) return Promise.reject(new ListenerUnavailableError());
    return new Promise<void>((resolve, reject) => {
      this.syncWaiters.push({ resolve, reject });
      this.runSync();
    });
  }

  private runSync(): void {
    if (this.syncRunning || this.syncWaiters.length === 0) return;
    const waiters = this.syncWaiters;
    this.syncWaiters = [];
    const client = this.client;
    if (!client) {
      for (const waiter of waiters) waiter.reject(new ListenerUnavailableError());
      return;
    }
    this.syncRunning = true;
    client
      .query('SELECT 1')
      .then(
        () => {
          // Still the same connection: nothing it carried can have been lost in between.
          const intact = this.client === client;
          for (const waiter of waiters) {
            if (intact) waiter.resolve();
            else waiter.reject(new ListenerUnavailableError());
          }
        },
        (error: unknown) => {
          for (const waiter of waiters) waiter.reject(error);
        },
      )
      .finally(() => {
        this.syncRunning = false;
        this.runSync();
      });
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    this.connecting = true;
    const client = new Client({
      connectionString: this.config.databaseUrl,
      application_name: LISTENER_APPLICATION_NAME,
      keepAlive: true,
    });
    client.on('notification', (message) =>
      this.fire(message.channel as CommitChannel, message.payload ?? ''),
    );
    client.on('error', (error) => {
      this.logger.warn({ err: error }, 'commit listener connection failed; reconnecting');
      this.drop(client);
    });
    client.on('end', () => this.drop(client));
    try {
      await client.connect();
      // Channels added while these LISTENs run are listened to as well, before anyone is told.
      const listened = new Set<CommitChannel>();
      for (;;) {
        const missing = [...this.handlers.keys()].filter((channel) => !listened.has(channel));
        if (missing.length === 0) break;
        for (const channel of missing) {
          await this.listen(client, channel);
          listened.add(channel);
        }
      }
    } catch (error) {
      this.connecting = false;
      this.logger.warn({ err: error }, `commit listener cannot connect; retrying in ${this.retryMs} ms`);
      client.removeAllListeners('end');
      await client.end().catch(() => undefined);
      this.retry();
      return;
    }
    this.connecting = false;
    if (this.stopped) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.connections += 1;
    this.generation += 1;
    this.retryMs = RECONNECT_MIN_MS;
    // Rows committed while no connection listened were never announced: look once now.
    for (const channel of this.handlers.keys()) this.fire(channel, null);
  }

  private async listen(client: Client, channel: CommitChannel): Promise<void> {
    await client.query(`LISTEN ${channel}`);
  }

  /** Forgets a broken connection (once, however many events announce it) and schedules a new one. */
  private drop(client: Client | null): void {
    if (!client || this.client !== client) return;
    this.client = null;
    this.generation += 1;
    client.end().catch(() => undefined);
    this.retry();
  }

  private retry(): void {
    if (this.stopped || this.retryTimer) return;
    const delay = this.retryMs;
    this.retryMs = Math.min(RECONNECT_MAX_MS, this.retryMs * 2);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.connect();
    }, delay);
  }

  private fire(channel: CommitChannel, payload: string | null): void {
    for (const handler of this.handlers.get(channel) ?? []) this.notify(handler, channel, payload);
  }

  private notify(handler: CommitHandler, channel: CommitChannel, payload: string | null): void {
    try {
      handler(payload);
    } catch (error) {
      this.logger.error({ err: error }, `commit listener handler for ${channel} failed`);
    }
  }
}
