// The last good Snapshot, swapped by reference, plus the last poll error. In-memory state, no I/O.
// A failed poll records its error here and never replaces the snapshot: last good wins.
import type { Diagnostic, MesosState, Snapshot } from './model.js';
import type { SwitchyardError } from './errors.js';

export interface PollFailure {
  readonly code: string;
  readonly message: string;
  /** Wall-clock ms. */
  readonly at: number;
}

export type SnapshotListener = (snapshot: Snapshot) => void;

export class SnapshotStore {
  private current: Snapshot = { generation: 0, loadedAt: 0, mesos: null, diagnostics: [] };
  private failure: PollFailure | null = null;
  private readonly listeners = new Set<SnapshotListener>();

  get snapshot(): Snapshot {
    return this.current;
  }

  /** The error of the most recent poll, or null when it succeeded. */
  get lastFailure(): PollFailure | null {
    return this.failure;
  }

  /** Installs a new state and tells every listener. */
  accept(mesos: MesosState, diagnostics: readonly Diagnostic[], now: number): Snapshot {
    this.current = { generation: this.current.generation + 1, loadedAt: now, mesos, diagnostics };
    this.failure = null;
    for (const listener of this.listeners) listener(this.current);
    return this.current;
  }

  /** Records a failed poll; the snapshot stays as it is. */
  reject(error: SwitchyardError, now: number): void {
    this.failure = { code: error.code, message: error.message, at: now };
  }

  subscribe(listener: SnapshotListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
