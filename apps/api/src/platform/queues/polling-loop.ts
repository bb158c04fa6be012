/**
 * Runs `round` again and again after commit-time work appears (relays): at once while a round
 * reports a full batch, after `intervalMs` when it found less, and backing off after a failure.
 * `stop()` waits for the round in progress.
 */
export class PollingLoop {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly round: () => Promise<number>,
    private readonly options: { intervalMs: number; fullBatch: number; onError: (error: unknown) => void },
  ) {}

  start(): void {
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running.catch(() => undefined);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.round().then(
        (moved) => this.schedule(moved >= this.options.fullBatch ? 0 : this.options.intervalMs),
        (error: unknown) => {
          this.options.onError(error);
          this.schedule(this.options.intervalMs * 4);
        },
      );
    }, delayMs);
  }
}
