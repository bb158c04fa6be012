import { hostname } from 'node:os';
import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Inject, Injectable, Logger, OnApplicationBootstrap, Type } from '@nestjs/common';
import type { Job } from 'bullmq';
import { JobHandlerRegistry } from './job-handler-registry.service';
import { QUEUE_CONCURRENCY, QUEUE_NAMES, QueueName, WORKER_STALL_OPTIONS } from './job-registry';
import { inSpan, SpanKind, tracingEnabled } from '../tracing/tracing';

/**
 * The worker of one queue: hands every job to the handler registered for its name. Its BullMQ
 * worker is created stopped and started on application bootstrap, after the registry has checked
 * (during module init) that every job name has exactly one handler.
 */
@Injectable()
abstract class QueueWorker extends WorkerHost implements OnApplicationBootstrap {
  protected abstract readonly queueName: QueueName;
  private readonly logger = new Logger('QueueWorker');

  constructor(@Inject(JobHandlerRegistry) private readonly handlers: JobHandlerRegistry) {
    super();
  }

  onApplicationBootstrap(): void {
    // run() resolves when the worker closes (on application shutdown).
    this.worker
      .run()
      .catch((error: unknown) => this.logger.error(error, `worker of queue ${this.queueName} stopped`));
  }

  process(job: Job): Promise<unknown> {
    if (!tracingEnabled()) return this.handlers.handle(this.queueName, job);
    // Continues the trace of whoever enqueued the job (JobQueue stores it in the telemetry metadata).
    return inSpan(
      `job ${job.name}`,
      {
        kind: SpanKind.CONSUMER,
        traceparent: job.opts.telemetry?.metadata ?? null,
        attributes: { 'messaging.destination.name': this.queueName, 'messaging.message.id': job.id ?? '' },
      },
      () => this.handlers.handle(this.queueName, job),
    );
  }
}

/** Stored on every job a worker processes (`processedBy`): which process ran it, host and pid. */
const WORKER_NAME = `${hostname()}:${process.pid}`;

function queueWorkerFor(queue: QueueName): Type<QueueWorker> {
  @Processor(queue, {
    concurrency: QUEUE_CONCURRENCY[queue],
    autorun: false,
    name: WORKER_NAME,
    ...WORKER_STALL_OPTIONS,
  })
  class Worker extends QueueWorker {
    protected readonly queueName = queue;
  }
  // Readable provider names in Nest's logs and errors, e.g. BillingQueueWorker.
  Object.defineProperty(Worker, 'name', {
    value: `${queue.charAt(0).toUpperCase()}${queue.slice(1)}QueueWorker`,
  });
  return Worker;
}

/** One worker per queue, for processes that run workers. */
export const QUEUE_WORKERS: readonly Type<QueueWorker>[] = QUEUE_NAMES.map(queueWorkerFor);
