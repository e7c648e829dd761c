// Progress of a slow load, logged once a second while it lasts: which step it is in and for how long, so an operator
// watching a first load of a large cluster sees it move. Timers and logging only.
import type { Logger } from 'pino';

export class Progress {
  private step = 'starting';
  private readonly started = Date.now();
  private stepStarted = this.started;
  private readonly timer: NodeJS.Timeout;
  private logged = false;

  constructor(
    private readonly logger: Logger,
    private readonly what: string,
    private readonly everyMs = 1000,
  ) {
    this.timer = setInterval(() => this.report(), everyMs);
    this.timer.unref();
  }

  /** Enters the next step; `detail` says how far the previous one got (e.g. bytes, apps). */
  at(step: string, detail: Record<string, number> = {}): void {
    const took = Date.now() - this.stepStarted;
    // A step whose work runs in one piece gives the timer no chance to fire: a long one is reported when it ends.
    if (this.logged || took >= this.everyMs) {
      this.logged = true;
      this.logger.info({ step: this.step, ms: took, ...detail }, `${this.what}: ${this.step} done`);
    }
    this.step = step;
    this.stepStarted = Date.now();
  }

  /** Stops reporting; a load that was slow enough to report says how long it took in all. */
  done(detail: Record<string, number> = {}): void {
    clearInterval(this.timer);
    if (this.logged || Date.now() - this.started >= this.everyMs) this.logger.info({ ms: Date.now() - this.started, ...detail }, `${this.what}: done`);
  }

  private report(): void {
    this.logged = true;
    this.logger.info({ step: this.step, ms: Date.now() - this.started }, `${this.what}: still ${this.step}`);
  }
}
