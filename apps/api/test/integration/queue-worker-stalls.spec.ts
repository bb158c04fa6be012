import { Job, Queue, Worker } from 'bullmq';
import Redis from 'ioredis';
import { QUEUE_NAMES, WORKER_STALL_OPTIONS } from '../../src/platform/queues/job-registry';
import { QUEUE_WORKERS } from '../../src/platform/queues/queue-workers';
import { uniqueName } from '../support/databases';
import { startTestApp, TestApp } from '../support/test-app';

// A worker process killed mid-job (a deploy, the OOM killer, a crash) leaves the job active under a
// lock nobody renews; when the lock expires another worker takes the job back ("stalled"). Every
// handler is idempotent, so a job must outlive more than one such death: BullMQ's default moves it
// to failed, for good, the second time. Real Redis and BullMQ, with our workers' stall options; only
// the lock's length and the check's interval are shortened, so that the test takes seconds.
jest.setTimeout(60_000);

const FAST_STALLS = { lockDuration: 1_000, stalledInterval: 300 } as const;

describe('a job whose worker dies in the middle of it', () => {
  const prefix = uniqueName('stall').replace(/[^a-z0-9_]/g, '');
  const connections: Redis[] = [];
  const connection = () => {
    const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', {
      maxRetriesPerRequest: null,
    });
    connections.push(redis);
    return redis;
  };
  let queue: Queue;

  beforeAll(() => {
    queue = new Queue('stalls', { connection: connection(), prefix });
  });
  afterAll(async () => {
    await queue.obliterate({ force: true });
    await queue.close();
    for (const redis of connections) redis.disconnect();
  });

  /** A worker that takes the job and dies holding it: closed at once, its lock left to expire. */
  const dyingWorker = async (): Promise<void> => {
    let taken!: () => void;
    const started = new Promise<void>((resolve) => (taken = resolve));
    const worker = new Worker(
      'stalls',
      () => {
        taken();
        return new Promise(() => undefined); // never finishes: the process is gone
      },
      { connection: connection(), prefix, ...WORKER_STALL_OPTIONS, ...FAST_STALLS },
    );
    await started;
    await worker.close(true);
  };

  it('is finished by the worker after the second death, not failed', async () => {
    const job = await queue.add('settle', { charge: 'chg_1' }, { attempts: 10 });
    await dyingWorker();
    await dyingWorker();

    const survivor = new Worker('stalls', async (taken: Job) => `settled ${String(taken.data.charge)}`, {
      connection: connection(),
      prefix,
      ...WORKER_STALL_OPTIONS,
      ...FAST_STALLS,
    });
    try {
      let state = await queue.getJobState(job.id!);
      for (let tries = 0; tries < 100 && state !== 'completed' && state !== 'failed'; tries++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        state = await queue.getJobState(job.id!);
      }
      const finished = await queue.getJob(job.id!);
      expect({ state, failedReason: finished?.failedReason, returnvalue: finished?.returnvalue }).toEqual({
        state: 'completed',
        failedReason: undefined,
        returnvalue: 'settled chg_1',
      });
    } finally {
      await survivor.close();
    }
  });
});

describe("every queue's worker in the app", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ workers: true });
  });
  afterAll(() => t.close());

  it('runs BullMQ with the stall options', () => {
    // The BullMQ workers Nest built from each @Processor, as they run.
    const running = QUEUE_WORKERS.map((type) => {
      const host = t.app.get(type, { strict: false });
      return { queue: host.worker.name, maxStalledCount: host.worker.opts.maxStalledCount };
    });
    expect(running).toEqual(
      QUEUE_NAMES.map((queue) => ({ queue, maxStalledCount: WORKER_STALL_OPTIONS.maxStalledCount })),
    );
  });
});
