import { Injectable, Logger, OnApplicationShutdown, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import Redis from 'ioredis';
import type { ServerResponse } from 'node:http';
import type { DeliveredEvent } from '@astrix/contracts';
import { AppConfig } from '../../platform/config/app-config';
import { redisOptionsFromUrl } from '../../platform/queues/redis-options';
import { traderSees } from './event-audience';
import { EventHistoryService } from './event-history.service';
import { streamChannel, StreamMessage } from './event-stream';

const HEARTBEAT_MS = 15_000;

interface Subscriber {
  userId: string;
  deliver(message: StreamMessage): void;
  close(): void;
}

/**
 * Server-Sent Events of users' events. Every replica subscribes to one Redis channel on which the
 * stream relay publishes history rows in stream-position order, so any replica serves any client.
 * A client resuming with Last-Event-ID gets the rows after that event from the history first,
 * then the live ones after the last position sent: none lost, none twice.
 */
@Injectable()
export class EventStreamService implements OnModuleInit, OnModuleDestroy, OnApplicationShutdown {
  private readonly logger = new Logger(EventStreamService.name);
  private subscriberClient: Redis | null = null;
  private readonly byUser = new Map<string, Set<Subscriber>>();

  constructor(
    private readonly config: AppConfig,
    private readonly history: EventHistoryService,
  ) {}

  async onModuleInit(): Promise<void> {
    const client = new Redis({ ...redisOptionsFromUrl(this.config.redisUrl), maxRetriesPerRequest: null });
    client.on('error', () => undefined);
    client.on('message', (_channel: string, payload: string) => this.onMessage(payload));
    await client.subscribe(streamChannel(this.config.queuePrefix));
    this.subscriberClient = client;
  }

  /** Open streams end before the HTTP server closes, or closing would wait for them forever. */
  onModuleDestroy(): void {
    for (const subscribers of this.byUser.values()) for (const subscriber of subscribers) subscriber.close();
    this.byUser.clear();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.subscriberClient?.quit().catch(() => this.subscriberClient?.disconnect());
  }

  /** Connected streams (for health and benchmarks). */
  get connections(): number {
    let count = 0;
    for (const subscribers of this.byUser.values()) count += subscribers.size;
    return count;
  }

  private onMessage(payload: string): void {
    let message: StreamMessage;
    try {
      message = JSON.parse(payload) as StreamMessage;
    } catch {
      return;
    }
    // The stream is trader-facing (staff watching a user's stream see what the user sees).
    if (!message.userId || !traderSees(message.event.type)) return;
    for (const subscriber of this.byUser.get(message.userId) ?? []) subscriber.deliver(message);
  }

  /** Serves one stream on a raw response until the client goes away. */
  async serve(response: ServerResponse, userId: string, lastEventId: string | undefined): Promise<void> {
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    response.write(': connected\n\nretry: 2000\n\n');
    const write = (event: DeliveredEvent): void => {
      response.write(`id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
    };
    let cursor = 0;
    let buffering = true;
    const buffered: StreamMessage[] = [];
    const subscriber: Subscriber = {
      userId,
      deliver: (message) => {
        if (buffering) buffered.push(message);
        else if (message.streamPosition > cursor) {
          cursor = message.streamPosition;
          write(message.event);
        }
      },
      close: () => response.end(),
    };
    // Subscribe first, then read the history: a live event in between is buffered, not missed.
    const subscribers = this.byUser.get(userId) ?? new Set<Subscriber>();
    subscribers.add(subscriber);
    this.byUser.set(userId, subscribers);
    const heartbeat = setInterval(() => response.write(': keep-alive\n\n'), HEARTBEAT_MS);
    response.on('close', () => {
      clearInterval(heartbeat);
      subscribers.delete(subscriber);
      if (subscribers.size === 0) this.byUser.delete(userId);
    });
    try {
      if (lastEventId) {
        const from = await this.history.streamPositionOf(lastEventId, userId);
        if (from !== null) {
          cursor = from;
          for (
            let page = await this.history.streamedAfter(userId, cursor);
            page.length > 0;
            page = await this.history.streamedAfter(userId, cursor)
          ) {
            for (const row of page) {
              cursor = row.position;
              write(row.event);
            }
          }
        }
      }
    } catch (error) {
      this.logger.error({ err: error }, 'stream resume failed');
      response.end();
      return;
    }
    buffering = false;
    for (const message of buffered.splice(0)) subscriber.deliver(message);
  }
}
