import { Injectable, OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import type { Job } from 'bullmq';
import { jobHandled } from './job-handler.decorator';
import { JobHandlerRegistration, JobHandlerTable } from './job-handler-table';
import type { QueueName } from './job-registry';

/**
 * Discovers the @JobHandler methods of every provider and checks there is one per job name.
 * Exists only in processes that run workers; its check throws during module init, before the
 * queue workers start (on application bootstrap), so a bad registry never takes a job.
 */
@Injectable()
export class JobHandlerRegistry implements OnModuleInit {
  private table: JobHandlerTable | null = null;

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
  ) {}

  onModuleInit(): void {
    this.table = JobHandlerTable.build(this.discover());
  }

  handle(queue: QueueName, job: Job): Promise<unknown> {
    if (!this.table)
      throw new Error(`job handlers are not discovered yet (job "${job.name}" on queue ${queue})`);
    return this.table.handle(queue, job);
  }

  private discover(): JobHandlerRegistration[] {
    const registrations: JobHandlerRegistration[] = [];
    // An alias (useExisting) shows the same instance twice: it is still one handler.
    const seen = new Set<object>();
    for (const wrapper of this.discovery.getProviders()) {
      const instance = wrapper.instance as Record<string, unknown> | undefined;
      if (!instance || typeof instance !== 'object' || !wrapper.isDependencyTreeStatic()) continue;
      if (seen.has(instance)) continue;
      seen.add(instance);
      const prototype = Object.getPrototypeOf(instance) as object | null;
      if (!prototype) continue;
      for (const methodName of this.scanner.getAllMethodNames(prototype)) {
        const method = instance[methodName];
        const name = jobHandled(method);
        if (!name || typeof method !== 'function') continue;
        registrations.push({
          name,
          owner: `${instance.constructor.name}.${methodName}`,
          handle: (method as JobHandlerRegistration['handle']).bind(instance),
        });
      }
    }
    return registrations;
  }
}
