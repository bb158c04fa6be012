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
 * then the later ones, always read from the history after the last position sent (a live message
 * is only the signal): none lost — not even one pub/sub dropped — and none twice.
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
    // Not ioredis's autoResubscribe: it sends SUBSCRIBE on reconnect without handling the reply, so
    // a connection closed before the answer (a shutdown, Redis dropping again) rejected unhandled.
    const client = new Redis({
      ...redisOptionsFromUrl(this.config.redisUrl),
      maxRetriesPerRequest: null,
      autoResubscribe: false,
    });
    const channel = streamChannel(this.config.queuePrefix);
    client.on('error', () => undefined);
    client.on('message', (_channel: string, payload: string) => this.onMessage(payload));
    await client.subscribe(channel);
    // Every later 'ready' is a reconnect: subscribe again. A message published meanwhile is not
    // lost to a client: the next one or the heartbeat catches up from the history.
    client.on('ready', () => {
      client.subscribe(channel).catch((error: unknown) => {
        if (client.status !== 'end') this.logger.warn({ err: error }, 'event stream resubscribe failed');
      });
    });
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

  /**
   * Serves one stream on a raw response until the client goes away. What the client gets is read
   * from the history, after the last position it was sent: a live message (or the heartbeat) only
   * says there may be more. So a message Redis pub/sub dropped (at most once: a reconnect, a
   * subscription away) leaves no gap — the next message or heartbeat brings it, in order, once.
   */
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
    let cursor: number;
    try {
      // After the event the client last saw; without one (or an unknown one), from now.
      const resumeFrom = lastEventId ? await this.history.streamPositionOf(lastEventId, userId) : null;
      cursor = resumeFrom ?? (await this.history.lastStreamPosition(userId));
    } catch (error) {
      this.logger.error({ err: error }, 'stream resume failed');
      response.end();
      return;
    }
    let closed = false;
    // One catch-up at a time, in order; each reads every history row after the cursor.
    let running: Promise<void> = Promise.resolve();
    const catchUp = (): Promise<void> =>
      (running = running.then(async () => {
        if (closed) return;
        try {
          for (
            let page = await this.history.streamedAfter(userId, cursor);
            page.length > 0 && !closed;
            page = await this.history.streamedAfter(userId, cursor)
          ) {
            for (const row of page) {
              if (row.position <= cursor) continue;
              cursor = row.position;
              write(row.event);
            }
          }
        } catch (error) {
          // The next message or heartbeat tries again from the same cursor.
          this.logger.warn({ err: error }, 'stream catch-up failed');
        }
      }));
    const subscriber: Subscriber = {
      userId,
      deliver: (message) => {
        if (message.streamPosition > cursor) void catchUp();
      },
      close: () => response.end(),
    };
    const subscribers = this.byUser.get(userId) ?? new Set<Subscriber>();
    subscribers.add(subscriber);
    this.byUser.set(userId, subscribers);
    const heartbeat = setInterval(() => {
      response.write(': keep-alive\n\n');
      void catchUp();
    }, HEARTBEAT_MS);
    response.on('close', () => {
      closed = true;
      clearInterval(heartbeat);
      subscribers.delete(subscriber);
      if (subscribers.size === 0) this.byUser.delete(userId);
    });
    // The events after Last-Event-ID, and any published while this stream was subscribing.
    await catchUp();
  }
}
