import { Logger, OnApplicationShutdown } from '@nestjs/common';
import type { DataSource, EntityManager } from 'typeorm';
import { Clock } from '../clock';

/** How often each process reads the offset another process may have moved. */
export const SANDBOX_CLOCK_POLL_MS = 1_000;

/**
 * The sandbox's movable clock (SANDBOX_CLOCK=true, sandbox only; production uses SystemClock and
 * never reads this): the real clock plus an offset kept in `platform.sandbox_clock`, so the APIs,
 * the workers and the CLI of one deployment share one "now". `now()` stays synchronous: it adds the
 * offset last read, which each process refreshes every second and the process that moves the clock
 * takes at once. The offset only grows: time never goes back, whatever order the reads return in.
 */
export class SandboxClock extends Clock implements OnApplicationShutdown {
  private readonly logger = new Logger(SandboxClock.name);
  private offsetMs = 0;
  private timer: NodeJS.Timeout | null = null;
  private warned = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly pollMs = SANDBOX_CLOCK_POLL_MS,
  ) {
    super();
  }

  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }

  /** How far ahead of the real clock this process's "now" is, in milliseconds. */
  get offset(): number {
    return this.offsetMs;
  }

  /** Reads the offset, then keeps reading it every poll interval until shutdown. */
  async start(): Promise<void> {
    this.logger.warn(
      'sandbox clock: "now" is the real clock plus platform.sandbox_clock (SANDBOX_CLOCK=true)',
    );
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.pollMs);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Reads the shared offset; keeps the last one while the database cannot answer. */
  async refresh(): Promise<number> {
    if (!this.dataSource.isInitialized) return this.offsetMs;
    try {
      const [row] = (await this.dataSource.query(
        'SELECT offset_ms::text AS offset_ms FROM platform.sandbox_clock',
      )) as Array<{ offset_ms: string }>;
      if (row) this.adopt(Number(row.offset_ms));
      this.warned = false;
    } catch (error) {
      if (!this.warned) this.logger.warn(`sandbox clock not read (${(error as Error).message}); keeping it`);
      this.warned = true;
    }
    return this.offsetMs;
  }

  /**
   * Moves the clock of every process forward by `ms` (the others follow within a poll interval);
   * `alongside` runs in the same transaction (the audit row), given the old and the new "now".
   */
  async advance(
    ms: number,
    alongside: (manager: EntityManager, before: Date, after: Date) => Promise<unknown> = async () =>
      undefined,
  ): Promise<Date> {
    const before = this.now();
    const offsetMs = await this.dataSource.transaction(async (manager) => {
      const [row] = (await manager.query(
        // A statement starting with WITH answers its rows (TypeORM answers [rows, count] to UPDATE).
        `WITH moved AS (
           UPDATE platform.sandbox_clock SET offset_ms = offset_ms + $1, updated_at = now() RETURNING offset_ms
         )
         SELECT offset_ms::text AS offset_ms FROM moved`,
        [ms],
      )) as Array<{ offset_ms: string }>;
      if (!row) throw new Error('platform.sandbox_clock has no row: run the migrations');
      const offset = Number(row.offset_ms);
      await alongside(manager, before, new Date(Date.now() + Math.max(offset, this.offsetMs)));
      return offset;
    });
    this.adopt(offsetMs);
    return this.now();
  }

  private adopt(offsetMs: number): void {
    if (offsetMs > this.offsetMs) this.offsetMs = offsetMs;
  }
}
