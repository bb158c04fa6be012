import 'reflect-metadata';
import { Injectable, Type } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import type { Job } from 'bullmq';
import { JobHandler } from './job-handler.decorator';
import { JobHandlerRegistry } from './job-handler-registry.service';
import { JobHandlerRegistration, JobHandlerTable } from './job-handler-table';
import { JOB_NAMES, JobName, JobPayloads } from './job-registry';

type Handled = Array<{ name: string; payload: unknown }>;

function registrations(handled: Handled, names: readonly string[] = JOB_NAMES): JobHandlerRegistration[] {
  return names.map((name) => ({
    name,
    owner: `Fake.${name}`,
    handle: (payload: unknown) => {
      handled.push({ name, payload });
      return Promise.resolve(`handled ${name}`);
    },
  }));
}

function job(name: string, data: unknown): Job {
  return { id: 'job-1', name, data } as Job;
}

/** A provider whose one method is the @JobHandler of `name`. */
function handlerProvider(name: JobName, handled: Handled): Type<unknown> {
  @Injectable()
  class Handler {
    async handle(payload: unknown): Promise<string> {
      handled.push({ name, payload });
      return `handled ${name}`;
    }
  }
  const descriptor = Object.getOwnPropertyDescriptor(Handler.prototype, 'handle')!;
  JobHandler(name)(Handler.prototype, 'handle', descriptor);
  Object.defineProperty(Handler, 'name', { value: `Handler_${name}` });
  return Handler;
}

async function registryWith(providers: Type<unknown>[]): Promise<JobHandlerRegistry> {
  const moduleRef = await Test.createTestingModule({
    imports: [DiscoveryModule],
    providers: [JobHandlerRegistry, ...providers],
  }).compile();
  await moduleRef.init();
  return moduleRef.get(JobHandlerRegistry);
}

describe('JobHandlerTable', () => {
  it('runs the handler of the job name with the job payload', async () => {
    const handled: Handled = [];
    const table = JobHandlerTable.build(registrations(handled));

    await expect(table.handle('billing', job('billing.retry-refund', { refundId: 'rf_1' }))).resolves.toBe(
      'handled billing.retry-refund',
    );
    expect(handled).toEqual([{ name: 'billing.retry-refund', payload: { refundId: 'rf_1' } }]);
  });

  it('refuses to build when a job name has no handler, naming the job', () => {
    const names = JOB_NAMES.filter((name) => name !== 'payouts.execute-payout');
    expect(() => JobHandlerTable.build(registrations([], names))).toThrow(
      `job "payouts.execute-payout" has no handler`,
    );
  });

  it('refuses to build when a job name has two handlers, naming both', () => {
    const duplicate = { ...registrations([], ['events.deliver'])[0]!, owner: 'Other.deliver' };
    expect(() => JobHandlerTable.build([...registrations([]), duplicate])).toThrow(
      'job "events.deliver" has 2 handlers: Fake.events.deliver, Other.deliver',
    );
  });

  it('refuses a handler of a job name the registry does not know', () => {
    expect(() => JobHandlerTable.build(registrations([], [...JOB_NAMES, 'billing.unheard-of']))).toThrow(
      'handles unknown job "billing.unheard-of"',
    );
  });

  it('fails a job whose name has no handler instead of completing it', async () => {
    const handled: Handled = [];
    const table = JobHandlerTable.build(registrations(handled));

    await expect(table.handle('billing', job('billing.unheard-of', {}))).rejects.toThrow(
      'no handler for job "billing.unheard-of" (id job-1) on queue billing',
    );
    expect(handled).toEqual([]);
  });

  it('fails a job that arrived on another queue than its own', async () => {
    const handled: Handled = [];
    const table = JobHandlerTable.build(registrations(handled));

    await expect(
      table.handle('billing', job('payouts.execute-payout', { payoutId: 'po_1', attempt: 1 })),
    ).rejects.toThrow('job "payouts.execute-payout" (id job-1) belongs on queue payouts, not billing');
    expect(handled).toEqual([]);
  });
});

describe('JobHandlerRegistry', () => {
  it('discovers @JobHandler methods of providers and dispatches to them', async () => {
    const handled: Handled = [];
    const registry = await registryWith(JOB_NAMES.map((name) => handlerProvider(name, handled)));

    await expect(
      registry.handle('outbound', job('outbound.deliver-webhook', { deliveryId: 'd1', attempt: 2 })),
    ).resolves.toBe('handled outbound.deliver-webhook');
    expect(handled).toEqual([
      { name: 'outbound.deliver-webhook', payload: { deliveryId: 'd1', attempt: 2 } },
    ]);
  });

  it('stops startup when a job name has no handler, naming the job', async () => {
    const providers = JOB_NAMES.filter((name) => name !== 'billing.retry-refund').map((name) =>
      handlerProvider(name, []),
    );
    await expect(registryWith(providers)).rejects.toThrow('job "billing.retry-refund" has no handler');
  });

  it('stops startup when two providers handle the same job name', async () => {
    const providers = [
      ...JOB_NAMES.map((name) => handlerProvider(name, [])),
      handlerProvider('billing.run-billing', []),
    ];
    await expect(registryWith(providers)).rejects.toThrow(
      'job "billing.run-billing" has 2 handlers: Handler_billing.run-billing.handle, Handler_billing.run-billing.handle',
    );
  });

  it('fails a job whose name no provider handles', async () => {
    const registry = await registryWith(JOB_NAMES.map((name) => handlerProvider(name, [])));
    await expect(registry.handle('events', job('events.replay-everything', {}))).rejects.toThrow(
      'no handler for job "events.replay-everything"',
    );
  });
});

// Compile-time check (tsc): a handler's payload parameter must be the payload of its job name.
export class MistypedHandlers {
  @JobHandler('billing.retry-refund')
  async typed(payload: JobPayloads['billing.retry-refund']): Promise<string> {
    return payload.refundId;
  }

  // @ts-expect-error the payload of billing.retry-refund has no runId
  @JobHandler('billing.retry-refund')
  async mistyped(payload: { runId: string }): Promise<string> {
    return payload.runId;
  }
}
