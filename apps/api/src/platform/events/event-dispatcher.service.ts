import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { AstrixEvent, EventType } from '@astrix/contracts';
import { Clock } from '../clock';
import { EVENT_HANDLER_METADATA, EventHandlerOptions } from './event-handler.decorator';
import { inSpan } from '../tracing/tracing';

export type EventHandlerFunction = (event: AstrixEvent, manager: EntityManager) => Promise<void>;

interface RegisteredHandler {
  consumer: string;
  handle: EventHandlerFunction;
  accepts?: (event: AstrixEvent) => boolean;
}

/** Routes delivered events to their in-process consumers, each exactly once thanks to the inbox. */
@Injectable()
export class EventDispatcher implements OnModuleInit {
  private readonly logger = new Logger(EventDispatcher.name);
  private readonly handlers = new Map<EventType, RegisteredHandler[]>();

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly clock: Clock,
  ) {}

  onModuleInit(): void {
    for (const wrapper of this.discovery.getProviders()) {
      const instance = wrapper.instance as Record<string, unknown> | undefined;
      if (!instance || typeof instance !== 'object' || !wrapper.isDependencyTreeStatic()) continue;
      for (const methodName of this.scanner.getAllMethodNames(Object.getPrototypeOf(instance) as object)) {
        const method = instance[methodName];
        if (typeof method !== 'function') continue;
        const options = this.reflector.get<EventHandlerOptions | undefined>(EVENT_HANDLER_METADATA, method);
        if (options)
          this.register(
            options.type,
            options.consumer,
            (method as EventHandlerFunction).bind(instance),
            options.accepts,
          );
      }
    }
  }

  register(
    type: EventType,
    consumer: string,
    handle: EventHandlerFunction,
    accepts?: (event: AstrixEvent) => boolean,
  ): void {
    const existing = this.handlers.get(type) ?? [];
    if (existing.some((handler) => handler.consumer === consumer)) {
      throw new Error(`consumer "${consumer}" is registered twice for ${type}`);
    }
    this.handlers.set(type, [...existing, { consumer, handle, accepts }]);
  }

  consumersOf(type: EventType): string[] {
    return (this.handlers.get(type) ?? []).map((handler) => handler.consumer);
  }

  /** The consumers that act on this event (their `accepts`): those it must reach, each once. */
  consumersFor(event: AstrixEvent): string[] {
    return this.accepting(event).map((handler) => handler.consumer);
  }

  /** Whether any consumer acts on the event: one that none wants needs no job. */
  wanted(event: AstrixEvent): boolean {
    return this.accepting(event).length > 0;
  }

  private accepting(event: AstrixEvent): RegisteredHandler[] {
    return (this.handlers.get(event.type) ?? []).filter((handler) => handler.accepts?.(event) ?? true);
  }

  /** Runs every consumer of the event; throws when one fails, so the job is retried (done ones are skipped). */
  async dispatch(event: AstrixEvent): Promise<void> {
    for (const handler of this.accepting(event)) {
      const attributes = { 'astrix.event.id': event.id, 'astrix.event.consumer': handler.consumer };
      const consume = () =>
        this.dataSource.transaction(async (manager) => {
          const claimed: unknown[] = await manager.query(
            `INSERT INTO platform.inbox_entries (consumer, event_id, event_type, processed_at)
           VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING event_id`,
            [handler.consumer, event.id, event.type, this.clock.now()],
          );
          if (claimed.length === 0) {
            this.logger.debug(`${handler.consumer} already processed ${event.id}`);
            return;
          }
          await handler.handle(event, manager);
        });
      await inSpan(`event ${event.type} ${handler.consumer}`, { attributes }, consume);
    }
  }
}
