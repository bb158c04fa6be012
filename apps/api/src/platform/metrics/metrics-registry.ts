import { Injectable, Logger } from '@nestjs/common';
import {
  collectDefaultMetrics,
  Counter,
  CounterConfiguration,
  Gauge,
  GaugeConfiguration,
  Histogram,
  HistogramConfiguration,
  Registry,
} from 'prom-client';

/** Every metric this service exports starts so (process and Node metrics keep prom-client's names). */
export const METRIC_PREFIX = 'astrix_';

type GaugeCollect<T extends string> = (gauge: Gauge<T>) => Promise<void>;

/**
 * The process's Prometheus registry: platform and modules register their metrics here (modules
 * inject it; platform imports no module). One per application, so tests can run several apps in
 * one process. Gauges read at scrape time take a `collect` that is guarded: a failing source (the
 * database away) leaves its gauge empty for that scrape instead of failing the whole scrape.
 */
@Injectable()
export class MetricsRegistry {
  readonly registry = new Registry();
  private readonly logger = new Logger(MetricsRegistry.name);
  /**
   * Committed events handed to the queue by the outbox relay, by type: counted after commit, so a
   * module can derive counters of committed facts from them (see `eventCount`).
   */
  readonly eventsRelayed: Counter<'type'>;

  constructor() {
    // Event-loop lag, heap, GC, CPU, open handles: prom-client's defaults.
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 20 });
    this.eventsRelayed = this.counter({
      name: 'astrix_outbox_events_relayed_total',
      help: 'Committed outbox events relayed to the events queue, by type.',
      labelNames: ['type'],
    });
  }

  /** How many events of a type this process relayed so far. */
  async eventCount(type: string): Promise<number> {
    const { values } = await this.eventsRelayed.get();
    return values.find((value) => value.labels.type === type)?.value ?? 0;
  }

  counter<T extends string>(config: Omit<CounterConfiguration<T>, 'registers'>): Counter<T> {
    return new Counter<T>({ ...config, registers: [this.registry] });
  }

  histogram<T extends string>(config: Omit<HistogramConfiguration<T>, 'registers'>): Histogram<T> {
    return new Histogram<T>({ ...config, registers: [this.registry] });
  }

  /**
   * A gauge set on scrape by `collect`. Emptied first, so label sets that vanished disappear and a
   * value `collect` does not set (or cannot read) is absent from the scrape rather than 0.
   */
  gaugeOnScrape<T extends string>(
    config: Omit<GaugeConfiguration<T>, 'registers' | 'collect'>,
    collect: GaugeCollect<T>,
  ): Gauge<T> {
    const logger = this.logger;
    const empty = (gauge: Gauge<T>): void => {
      gauge.reset();
      // A gauge without labels resets to 0: take that series out too.
      if ((config.labelNames ?? []).length === 0) gauge.remove();
    };
    return new Gauge<T>({
      ...config,
      registers: [this.registry],
      async collect() {
        empty(this);
        try {
          await collect(this);
        } catch (error) {
          empty(this);
          logger.warn({ err: error }, `metric ${config.name} not collected`);
        }
      },
    });
  }

  /** A counter whose value is computed on scrape (reset first), e.g. from committed events. */
  counterOnScrape<T extends string>(
    config: Omit<CounterConfiguration<T>, 'registers' | 'collect'>,
    collect: (counter: Counter<T>) => Promise<void>,
  ): Counter<T> {
    const logger = this.logger;
    return new Counter<T>({
      ...config,
      registers: [this.registry],
      async collect() {
        this.reset();
        try {
          await collect(this);
        } catch (error) {
          logger.warn({ err: error }, `metric ${config.name} not collected`);
        }
      },
    });
  }

  /**
   * One read shared by several gauges of the same scrape (e.g. a backlog's size and its age from one
   * query): calls within `ttlMs` of the first get the same promise.
   */
  sharedRead<R>(read: () => Promise<R>, ttlMs = 1_000): () => Promise<R> {
    let last: { at: number; result: Promise<R> } | null = null;
    return () => {
      const now = Date.now();
      if (!last || now - last.at > ttlMs) last = { at: now, result: read() };
      return last.result;
    };
  }

  contentType(): string {
    return this.registry.contentType;
  }

  metrics(): Promise<string> {
    return this.registry.metrics();
  }
}
