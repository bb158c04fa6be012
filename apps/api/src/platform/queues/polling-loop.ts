/**
 * Runs `round` again and again after commit-time work appears (relays): at once while a round
 * reports a full batch, at once when woken (`wake()`, e.g. by a commit notification; a wake during
 * a round runs one more round right after it), after `intervalMs` otherwise (the fallback poll),
 * and backing off after a failure (wakes are ignored until the backed-off round has run). Woken
 * rounds start at least `minGapMs` apart, so a burst of commits costs a few rounds, not one each.
 * `stop()` waits for the round in progress.
 */
export class PollingLoop {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> = Promise.resolve();
  private stopped = false;
  private started = false;
  private inRound = false;
  private wokenDuringRound = false;
  private backingOff = false;
  private lastStartedAt = 0;

  constructor(
    private readonly round: () => Promise<number>,
    private readonly options: {
      intervalMs: number;
      fullBatch: number;
      onError: (error: unknown) => void;
      minGapMs?: number;
    },
  ) {}

  start(): void {
    this.started = true;
    this.schedule(0);
  }

  /** New work was committed: run a round now (or right after the one in progress). */
  wake(): void {
    if (!this.started || this.stopped || this.backingOff) return;
    if (this.inRound) {
      this.wokenDuringRound = true;
      return;
    }
    this.schedule(this.gapLeft());
  }

  /** How long until a woken round may start. */
  private gapLeft(): number {
    return Math.max(0, this.lastStartedAt + (this.options.minGapMs ?? 0) - Date.now());
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running.catch(() => undefined);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.lastStartedAt = Date.now();
      this.inRound = true;
      this.wokenDuringRound = false;
      this.backingOff = false;
      this.running = this.round().then(
        (moved) => {
          this.inRound = false;
          if (moved >= this.options.fullBatch) this.schedule(0);
          else this.schedule(this.wokenDuringRound ? this.gapLeft() : this.options.intervalMs);
        },
        (error: unknown) => {
          this.inRound = false;
          this.backingOff = true;
          this.options.onError(error);
          this.schedule(this.options.intervalMs * 4);
        },
      );
    }, delayMs);
  }
}
