// One run of a job at a time: a request made while it runs gets one shared follow-up run that starts right after.
// No I/O and no timers of its own; used by the Mesos and Marathon pollers so both queue polls the same way.

export interface SingleFlightOptions<T> {
  /** The job; `reason` says why it runs (several reasons joined when a follow-up serves several requests). */
  readonly run: (reason: string) => Promise<T>;
  /** Called after a run when no follow-up is waiting: the place to arm the next periodic run. */
  readonly onIdle?: () => void;
}

interface Waiting<T> {
  readonly reasons: Set<string>;
  readonly promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
}

export class SingleFlight<T> {
  private running: Promise<T> | null = null;
  private waiting: Waiting<T> | null = null;

  constructor(private readonly options: SingleFlightOptions<T>) {}

  /** True while a run is going. */
  get busy(): boolean {
    return this.running !== null;
  }

  /**
   * Runs the job now, or, when it is already running, returns the one follow-up run shared by everyone who asks
   * meanwhile. Either way the promise settles only after a run that started after this call has finished.
   */
  request(reason: string): Promise<T> {
    if (this.running === null) return this.start(reason);
    if (this.waiting === null) {
      let resolve: (value: T) => void = () => undefined;
      let reject: (error: unknown) => void = () => undefined;
      const promise = new Promise<T>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      this.waiting = { reasons: new Set(), promise, resolve, reject };
    }
    this.waiting.reasons.add(reason);
    return this.waiting.promise;
  }

  /** Resolves once nothing runs and nothing waits (a follow-up that starts meanwhile is waited for too). */
  async idle(): Promise<void> {
    while (this.running !== null) {
      await this.running.then(
        () => undefined,
        () => undefined,
      );
    }
  }

  private start(reason: string): Promise<T> {
    const current = this.options.run(reason);
    this.running = current;
    // Registered before any caller can await `current`, so the follow-up is in place (running is never null in
    // between) by the time a caller's continuation could ask for another run.
    void current.then(
      () => this.finished(),
      () => this.finished(),
    );
    return current;
  }

  private finished(): void {
    this.running = null;
    const waiting = this.waiting;
    if (waiting === null) {
      this.options.onIdle?.();
      return;
    }
    this.waiting = null;
    this.start(`${[...waiting.reasons].join(', ')} (asked for during the previous run)`).then(waiting.resolve, waiting.reject);
  }
}
