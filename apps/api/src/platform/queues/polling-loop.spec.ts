import { PollingLoop } from './polling-loop';

describe('PollingLoop', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  const loopWith = (results: Array<number | Error>) => {
    const calls: number[] = [];
    let release: (() => void) | null = null;
    const round = jest.fn(async () => {
      calls.push(calls.length);
      const next = results.shift() ?? 0;
      await new Promise<void>((resolve) => (release = resolve));
      if (next instanceof Error) throw next;
      return next;
    });
    const loop = new PollingLoop(round, { intervalMs: 10_000, fullBatch: 100, onError: () => undefined });
    const finishRound = async () => {
      (release as (() => void) | null)?.();
      release = null;
      await jest.advanceTimersByTimeAsync(0);
    };
    return { loop, round, finishRound };
  };

  it('does nothing when woken before it was started (processes without workers)', async () => {
    const { loop, round } = loopWith([]);
    loop.wake();
    await jest.advanceTimersByTimeAsync(60_000);
    expect(round).not.toHaveBeenCalled();
  });

  it('runs at once when woken while idle, instead of waiting for the fallback poll', async () => {
    const { loop, round, finishRound } = loopWith([0, 0]);
    loop.start();
    await jest.advanceTimersByTimeAsync(0);
    await finishRound();
    expect(round).toHaveBeenCalledTimes(1);
    loop.wake();
    await jest.advanceTimersByTimeAsync(0);
    expect(round).toHaveBeenCalledTimes(2);
    await finishRound();
    await loop.stop();
  });

  it('runs one more round right after the current one when woken during it', async () => {
    const { loop, round, finishRound } = loopWith([0, 0, 0]);
    loop.start();
    await jest.advanceTimersByTimeAsync(0);
    loop.wake();
    loop.wake();
    await finishRound();
    expect(round).toHaveBeenCalledTimes(2);
    await finishRound();
    // Nothing more was asked: the next round waits for the fallback poll.
    expect(round).toHaveBeenCalledTimes(2);
    await jest.advanceTimersByTimeAsync(10_000);
    expect(round).toHaveBeenCalledTimes(3);
    await finishRound();
    await loop.stop();
  });

  it('ignores wakes while backing off after a failure', async () => {
    const { loop, round, finishRound } = loopWith([new Error('redis down'), 0]);
    loop.start();
    await jest.advanceTimersByTimeAsync(0);
    await finishRound();
    loop.wake();
    await jest.advanceTimersByTimeAsync(0);
    expect(round).toHaveBeenCalledTimes(1);
    await jest.advanceTimersByTimeAsync(40_000);
    expect(round).toHaveBeenCalledTimes(2);
    await finishRound();
    await loop.stop();
  });
});

describe('PollingLoop with a minimum gap between woken rounds', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('folds wakes arriving within the gap into one round at the end of the gap', async () => {
    const round = jest.fn(async () => 0);
    const loop = new PollingLoop(round, {
      intervalMs: 10_000,
      fullBatch: 100,
      minGapMs: 20,
      onError: () => undefined,
    });
    loop.start();
    await jest.advanceTimersByTimeAsync(0);
    expect(round).toHaveBeenCalledTimes(1);
    for (let wake = 0; wake < 5; wake += 1) {
      loop.wake();
      await jest.advanceTimersByTimeAsync(2);
    }
    expect(round).toHaveBeenCalledTimes(1);
    await jest.advanceTimersByTimeAsync(10);
    expect(round).toHaveBeenCalledTimes(2);
    await loop.stop();
  });
});
