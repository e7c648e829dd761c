// Collapses bursts of "something changed" triggers into few, spaced-out runs of one job (a Marathon re-fetch).
// Timers only, no network; the clock and the timer are injectable so tests can drive it with fake or real time.

/** Arms a one-shot timer and returns a function that cancels it. */
export type SetTimer = (fire: () => void, ms: number) => () => void;

export interface CoalescerOptions {
  /** A run starts no sooner than this after the previous run started. */
  readonly minIntervalMs: number;
  /** A run starts no later than this after the first trigger it serves (unless the previous run is still going). */
  readonly maxDelayMs: number;
  /**
   * Wait until triggers have been quiet this long before running (bounded by maxDelayMs), so a burst spread over a
   * few milliseconds still becomes one run. 0 (the default) only collapses triggers that arrive in the same tick.
   */
  readonly settleMs?: number;
  /** The job. It gets the distinct reasons of the triggers it serves, oldest first. */
  readonly run: (reasons: string[]) => Promise<void>;
  /** Called when run rejects; the coalescer itself carries on. */
  readonly onError?: (error: unknown) => void;
  readonly now?: () => number;
  readonly setTimer?: SetTimer;
}

// Looked up at call time, not import time, so vi.useFakeTimers() after import still takes effect.
const defaultSetTimer: SetTimer = (fire, ms) => {
  const timer = setTimeout(fire, ms);
  // A pending coalesced run alone should not keep the process alive; the servers do that.
  timer.unref();
  return () => clearTimeout(timer);
};

export class Coalescer {
  private readonly reasons = new Set<string>();
  /** When the oldest trigger not yet served by a started run arrived; null when nothing is pending. */
  private firstPendingAt: number | null = null;
  private lastTriggerAt = 0;
  private lastStartAt: number | null = null;
  private running: Promise<void> | null = null;
  private cancelTimer: (() => void) | null = null;
  private stopped = false;
  private started = 0;
  private readonly now: () => number;
  private readonly setTimer: SetTimer;
  private readonly settleMs: number;

  constructor(private readonly options: CoalescerOptions) {
    const { minIntervalMs, maxDelayMs } = options;
    this.settleMs = options.settleMs ?? 0;
    if (!(minIntervalMs >= 0) || !(maxDelayMs >= 0) || !(this.settleMs >= 0)) {
      throw new RangeError('coalescer durations must be >= 0');
    }
    // Both promises (spacing and bound) can only hold together when the spacing fits inside the bound.
    if (minIntervalMs > maxDelayMs) throw new RangeError(`minIntervalMs (${minIntervalMs}) must not exceed maxDelayMs (${maxDelayMs})`);
    this.now = options.now ?? (() => Date.now());
    this.setTimer = options.setTimer ?? defaultSetTimer;
  }

  /** How many runs have started so far. */
  get runs(): number {
    return this.started;
  }

  /** True while a run is going. */
  get busy(): boolean {
    return this.running !== null;
  }

  /** Asks for a run; it will serve this trigger and every other one that arrives before it starts. */
  trigger(reason: string): void {
    if (this.stopped) return;
    const at = this.now();
    this.firstPendingAt ??= at;
    this.lastTriggerAt = at;
    this.reasons.add(reason);
    this.schedule();
  }

  /** Drops pending triggers, cancels the timer and waits for a run in progress to finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.cancelTimer?.();
    this.cancelTimer = null;
    this.reasons.clear();
    this.firstPendingAt = null;
    await this.running;
  }

  /** When the pending triggers may be served: after the quiet period (capped by maxDelay), and spaced from the last start. */
  private dueAt(firstPendingAt: number): number {
    const settled = Math.min(this.lastTriggerAt + this.settleMs, firstPendingAt + this.options.maxDelayMs);
    const spaced = this.lastStartAt === null ? -Infinity : this.lastStartAt + this.options.minIntervalMs;
    return Math.max(settled, spaced);
  }

  private schedule(): void {
    // While a run goes, triggers only accumulate; its end calls schedule() once, so they get exactly one follow-up.
    if (this.stopped || this.running !== null || this.firstPendingAt === null) return;
    this.cancelTimer?.();
    // Even a run that is due now goes through a timer, so triggers fired in the same tick share it.
    const delay = Math.max(0, this.dueAt(this.firstPendingAt) - this.now());
    this.cancelTimer = this.setTimer(() => {
      this.cancelTimer = null;
      this.fire();
    }, delay);
  }

  private fire(): void {
    if (this.stopped || this.running !== null || this.firstPendingAt === null) return;
    const reasons = [...this.reasons];
    this.reasons.clear();
    this.firstPendingAt = null;
    this.lastStartAt = this.now();
    this.started += 1;
    const run = async (): Promise<void> => {
      try {
        await this.options.run(reasons);
      } catch (error) {
        this.options.onError?.(error);
      }
    };
    this.running = run().finally(() => {
      this.running = null;
      this.schedule();
    });
  }
}
