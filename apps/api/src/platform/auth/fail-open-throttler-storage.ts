import { Logger } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';

type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

const WARN_EVERY_MS = 10_000;

/**
 * The rate limit fails open: when its store (Redis) cannot count, the request is let through and a
 * warning logged (at most every 10 s), instead of every request failing with a 500 for as long as
 * Redis is away. The limit protects capacity, not money: money-moving writes are guarded by their
 * Idempotency-Key and the database. See docs/reliability.md.
 */
export class FailOpenThrottlerStorage implements ThrottlerStorage {
  private readonly logger = new Logger('RateLimit');
  private lastWarningAt = 0;

  constructor(private readonly store: ThrottlerStorage) {}

  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    try {
      return await this.store.increment(key, ttl, limit, blockDuration, throttlerName);
    } catch (error) {
      const now = Date.now();
      if (now - this.lastWarningAt >= WARN_EVERY_MS) {
        this.lastWarningAt = now;
        this.logger.warn(
          { err: error },
          'rate limit store unavailable: requests are not limited until it is back',
        );
      }
      return { totalHits: 0, timeToExpire: 0, isBlocked: false, timeToBlockExpire: 0 };
    }
  }
}
