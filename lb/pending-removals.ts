// Servers taken out of rotation that HAProxy could not delete yet because connections are open on them: retried
// every second, and after the deadline (hard-stop-after) their sessions are shut first. I/O through the runtime client.
import { removalCommands, type RuntimeClient } from './runtime-apply.js';

const RETRY_MS = 1000;

export class PendingRemovals {
  private pending: { backend: string; server: string; since: number }[] = [];
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private readonly runtime: RuntimeClient | null,
    private readonly deadlineMs: number,
    /** Asks for a run of the pipeline, which calls retry() first. */
    private readonly wake: () => void,
  ) {}

  list(): string[] {
    return this.pending.map((p) => `${p.backend}/${p.server}`);
  }

  add(list: readonly { backend: string; server: string }[]): void {
    const now = Date.now();
    for (const p of list) this.pending.push({ ...p, since: now });
    if (this.pending.length > 0) this.schedule();
  }

  /** After a reload: the new worker was built from the file, which does not have them. */
  clear(): void {
    this.pending = [];
  }

  close(): void {
    this.closed = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  async retry(): Promise<void> {
    if (this.pending.length === 0 || this.runtime === null) return;
    const now = Date.now();
    const list = this.pending;
    const force = (p: { since: number }): boolean => now - p.since >= this.deadlineMs;
    const answers = await this.runtime.run(list.flatMap((p) => removalCommands([p], force(p)))).catch(() => null);
    if (answers === null) return this.schedule();
    let i = 0;
    this.pending = list.filter((p) => {
      if (force(p)) i++; // the shutdown sessions answer
      const answer = answers[i++] ?? '';
      return !(answer === 'Server deleted.' || /No such server/i.test(answer));
    });
    if (this.pending.length > 0) this.schedule();
  }

  private schedule(): void {
    if (this.closed || this.timer !== null) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.wake();
    }, RETRY_MS);
    this.timer.unref();
  }
}
