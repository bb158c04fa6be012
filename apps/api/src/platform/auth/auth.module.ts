import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import { AppConfig } from '../config/app-config';
import { RedisConnection } from '../queues/redis.provider';
import { ApiKeysController } from './api-keys.controller';
import { ApiKeysService } from './api-keys.service';
import { AuthGuard } from './auth.guard';
import { Authenticator } from './authenticator';
import { CallerThrottlerGuard } from './caller-throttler.guard';
import { DevTokenController } from './dev-token.controller';
import { FailOpenThrottlerStorage } from './fail-open-throttler-storage';
import { JwtVerifier } from './jwt-verifier';
import { MeController } from './me.controller';
import { StreamTokens } from './stream-tokens';

@Global()
@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      inject: [AppConfig, RedisConnection],
      useFactory: (config: AppConfig, redis: RedisConnection) => ({
        throttlers: [{ name: 'default', ttl: 60_000, limit: config.rateLimitPerMinute }],
        // Fails open while Redis is away (reads keep answering; see FailOpenThrottlerStorage).
        storage: new FailOpenThrottlerStorage(new ThrottlerStorageRedisService(redis.client)),
        // Keys share Redis with other stacks (tests, staging): keep ours apart.
        generateKey: (_context, tracker, throttler) =>
          `${config.queuePrefix}:throttle:${throttler}:${tracker}`,
      }),
    }),
  ],
  controllers: [ApiKeysController, MeController, DevTokenController],
  providers: [
    JwtVerifier,
    ApiKeysService,
    StreamTokens,
    // Order matters: authenticate first, so the rate limit can count per caller.
    Authenticator,
    { provide: APP_GUARD, useClass: AuthGuard },
    { provide: APP_GUARD, useClass: CallerThrottlerGuard },
  ],
  exports: [ApiKeysService, JwtVerifier, Authenticator, StreamTokens],
})
export class AuthModule {}
