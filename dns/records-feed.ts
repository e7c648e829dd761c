// Turns each new Mesos state into its RecordSet in slices of a few milliseconds (recordSteps through the runner it is
// given), so that a large state never stops the DNS server answering from the previous one. One build at a time; a
// state that arrives during a build is built right after it (only the newest of those). I/O: through the runner.
import { recordSteps, type RecordOptions, type RecordSet } from './records.js';
import type { MesosState } from '../state-poller/model.js';
import type { SliceRunner } from './steps.js';

export interface RecordsFeedOptions<T> {
  readonly options: RecordOptions;
  /** Called with each finished RecordSet and what it was built from, in the order the builds finish. */
  readonly install: (records: RecordSet, from: T) => void;
  /** A build that throws (a bug) is reported here; the records served stay as they were. */
  readonly onError: (error: unknown) => void;
  /** Passed in by the composition root: dns/ imports nothing but the model from state-poller/. */
  readonly run: SliceRunner;
  readonly sliceMs?: number;
}

export class RecordsFeed<T extends { readonly mesos: MesosState | null }> {
  private next: T | null = null;
  private running: Promise<void> | null = null;

  constructor(private readonly feed: RecordsFeedOptions<T>) {}

  /** Builds the records of `from.mesos` after any build in progress; a newer offer replaces one not yet started. */
  offer(from: T): void {
    this.next = from;
    this.running ??= this.drain();
  }

  /** Resolves when every offered state has been built and installed. */
  async idle(): Promise<void> {
    while (this.running !== null) await this.running;
  }

  private async drain(): Promise<void> {
    try {
      while (this.next !== null) {
        const from = this.next;
        this.next = null;
        try {
          // A build in progress is finished even when a newer state arrives: it is newer than what is served, and
          // abandoning it could starve the records behind a master whose state changes faster than a build.
          this.feed.install(await this.feed.run(recordSteps(from.mesos, this.feed.options), this.feed.sliceMs), from);
        } catch (error) {
          this.feed.onError(error);
        }
      }
    } finally {
      this.running = null;
    }
  }
}
