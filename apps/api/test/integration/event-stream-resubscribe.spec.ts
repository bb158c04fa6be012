import Redis from 'ioredis';
import type { AppConfig } from '../../src/platform/config/app-config';
import type { EventHistoryService } from '../../src/modules/notifications/event-history.service';
import { EventStreamService } from '../../src/modules/notifications/event-stream.service';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy';
import { uniqueName } from '../support/databases';
import { eventually } from '../support/test-app';
import { streamChannel } from '../../src/modules/notifications/event-stream';

// Found by CI (redis-outage.spec under load): the app shut down just after Redis came back, while
// the stream's subscriber connection was subscribing again. ioredis re-subscribes on reconnect
// without handling the reply, so the "Connection is closed." of that unanswered SUBSCRIBE was an
// unhandled rejection: Node ends the process with code 1 mid-shutdown.
describe('event stream subscriber across a Redis reconnect', () => {
  let redis: TcpProxy;
  const unhandled: unknown[] = [];
  const record = (reason: unknown): void => {
    unhandled.push(reason);
  };

  beforeAll(async () => {
    const real = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    redis = await startTcpProxy({ host: real.hostname, port: Number(real.port || 6379) });
    process.on('unhandledRejection', record);
  });
  afterAll(async () => {
    process.off('unhandledRejection', record);
    await redis.close();
  });

  it('subscribes again when Redis comes back (autoResubscribe is ours, not ioredis)', async () => {
    const config = { redisUrl: `redis://127.0.0.1:${redis.port}`, queuePrefix: uniqueName('t') } as AppConfig;
    const service = new EventStreamService(config, {} as EventHistoryService);
    const observer = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    const subscribers = async (): Promise<number> => {
      const [, count] = (await observer.call('PUBSUB', 'NUMSUB', streamChannel(config.queuePrefix))) as [
        string,
        number,
      ];
      return count;
    };
    try {
      await service.onModuleInit();
      expect(await subscribers()).toBe(1);
      await redis.cut();
      await eventually(async () => (await subscribers()) === 0);
      await redis.restore();
      await eventually(async () => (await subscribers()) === 1);
    } finally {
      await service.onApplicationShutdown();
      observer.disconnect();
    }
  });

  it('shuts down cleanly when Redis comes back and the app stops while it is subscribing again', async () => {
    const config = { redisUrl: `redis://127.0.0.1:${redis.port}`, queuePrefix: uniqueName('t') } as AppConfig;
    const service = new EventStreamService(config, {} as EventHistoryService);
    await service.onModuleInit();
    const client = (service as unknown as { subscriberClient: Redis }).subscriberClient;
    expect(client.status).toBe('ready');

    await redis.cut();
    await new Promise<void>((resolve) => client.once('reconnecting', () => resolve()));
    // The app stops at the moment the connection is ready again, and Redis drops once more before
    // answering the SUBSCRIBE sent on reconnecting (and the QUIT).
    const stopped = new Promise<void>((resolve) =>
      client.once('ready', () => {
        const stopping = service.onApplicationShutdown();
        void redis.cut();
        void stopping.then(resolve);
      }),
    );
    await redis.restore();
    await stopped;
    await new Promise((resolve) => setTimeout(resolve, 100));

    expect(client.status).toBe('end');
    expect(unhandled).toEqual([]);
  });
});
