import { Injectable } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { RedisConnection } from '../queues/redis.provider';

const withTimeout = <T>(promise: Promise<T>, ms: number, what: string): Promise<T> =>
  Promise.race([
    promise,
    new Promise<T>((_resolve, reject) =>
      setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms).unref(),
    ),
  ]);

/** Readiness of what the API cannot work without: Redis reachable, every migration applied. */
@Injectable()
export class DependencyHealth {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly redis: RedisConnection,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  async redisReachable(key: 'redis'): Promise<HealthIndicatorResult<'redis'>> {
    const indicator = this.indicators.check(key);
    try {
      const answer = await withTimeout(this.redis.client.ping(), 1500, 'redis ping');
      return answer === 'PONG' ? indicator.up() : indicator.down({ message: `unexpected answer ${answer}` });
    } catch (error) {
      return indicator.down({ message: (error as Error).message });
    }
  }

  async migrationsApplied(key: 'migrations'): Promise<HealthIndicatorResult<'migrations'>> {
    const indicator = this.indicators.check(key);
    try {
      const pending = await withTimeout(this.dataSource.showMigrations(), 3000, 'migration check');
      return pending
        ? indicator.down({ message: 'migrations are pending; run pnpm db:migrate' })
        : indicator.up();
    } catch (error) {
      return indicator.down({ message: (error as Error).message });
    }
  }
}
