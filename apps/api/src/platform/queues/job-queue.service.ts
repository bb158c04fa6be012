import { Injectable } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { getQueueToken } from '@nestjs/bullmq';
import type { Job, Queue } from 'bullmq';
import { JobName, JobPayloads, QUEUE_OF_JOB, QueueName } from './job-registry';
import { currentTraceparent } from '../tracing/tracing';

export interface EnqueueRequest<N extends JobName> {
  name: N;
  payload: JobPayloads[N];
  /** Deterministic: the same logical job always gets the same id, so a repeat is a no-op. */
  jobId: string;
  delayMs?: number;
  /**
   * The trace the job continues (W3C traceparent, kept in BullMQ's telemetry metadata); default the
   * active span's. Null: none.
   */
  traceparent?: string | null;
}

/** Job options carrying the trace context the worker continues (see QueueWorker). */
function traceOptions(request: { traceparent?: string | null }): { telemetry?: { metadata: string } } {
  const traceparent = request.traceparent === undefined ? currentTraceparent() : request.traceparent;
  return traceparent ? { telemetry: { metadata: traceparent } } : {};
}

/** Typed enqueueing. Call it after commit (the outbox relay does), never inside a transaction. */
@Injectable()
export class JobQueue {
  constructor(private readonly moduleRef: ModuleRef) {}

  queue(name: QueueName): Queue {
    return this.moduleRef.get<Queue>(getQueueToken(name), { strict: false });
  }

  async enqueue<N extends JobName>(request: EnqueueRequest<N>): Promise<void> {
    await this.queue(QUEUE_OF_JOB[request.name]).add(request.name, request.payload, {
      jobId: request.jobId,
      ...(request.delayMs ? { delay: request.delayMs } : {}),
      ...traceOptions(request),
    });
  }

  /**
   * Enqueues a job that runs again under an id used before (a replay, a retry of the same attempt).
   * BullMQ ignores an add whose id exists, so a finished (completed or failed) job of that id is
   * removed first; one still waiting, delayed or active is kept, and it is the run asked for.
   */
  async requeue<N extends JobName>(request: EnqueueRequest<N>): Promise<void> {
    const queue = this.queue(QUEUE_OF_JOB[request.name]);
    const previous = (await queue.getJob(request.jobId)) as Job | undefined;
    if (previous) {
      const state = await previous.getState();
      if (state === 'completed' || state === 'failed') await queue.remove(request.jobId);
    }
    await this.enqueue(request);
  }

  async enqueueMany<N extends JobName>(requests: EnqueueRequest<N>[]): Promise<void> {
    const byQueue = new Map<QueueName, EnqueueRequest<N>[]>();
    for (const request of requests) {
      const queueName = QUEUE_OF_JOB[request.name];
      byQueue.set(queueName, [...(byQueue.get(queueName) ?? []), request]);
    }
    for (const [queueName, batch] of byQueue) {
      await this.queue(queueName).addBulk(
        batch.map((request) => ({
          name: request.name,
          data: request.payload,
          opts: { jobId: request.jobId, ...traceOptions(request) },
        })),
      );
    }
  }
}
