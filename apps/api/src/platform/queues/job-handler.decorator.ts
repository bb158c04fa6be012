import type { Job } from 'bullmq';
import type { JobName, JobPayloads } from './job-registry';

export const JOB_HANDLER_METADATA = 'astrix:job-handler';

/** What a job handler receives: its payload (typed by the job name) and the BullMQ job. */
export type JobHandlerFunction<N extends JobName> = (
  payload: JobPayloads[N],
  job: Job<JobPayloads[N], unknown, N>,
) => Promise<unknown>;

type JobHandlerDecorator<N extends JobName> = <M extends JobHandlerFunction<N>>(
  target: object,
  key: string | symbol,
  descriptor: TypedPropertyDescriptor<M>,
) => void;

/**
 * Marks a provider method as the one handler of a job name. The method's payload parameter must be
 * `JobPayloads[N]`. Worker processes discover handlers at startup and refuse to start when a job
 * name has none or several (JobHandlerRegistry).
 */
export function JobHandler<N extends JobName>(name: N): JobHandlerDecorator<N> {
  return (_target, _key, descriptor) => {
    if (typeof descriptor.value !== 'function')
      throw new Error(`@JobHandler('${name}') must decorate a method`);
    Reflect.defineMetadata(JOB_HANDLER_METADATA, name, descriptor.value);
  };
}

/** The job name a method handles, if it is a @JobHandler. */
export function jobHandled(method: unknown): JobName | undefined {
  if (typeof method !== 'function') return undefined;
  return Reflect.getMetadata(JOB_HANDLER_METADATA, method) as JobName | undefined;
}
