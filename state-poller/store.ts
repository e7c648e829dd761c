// The last good Snapshot, swapped by reference, plus the last failure of each source. In-memory state, no I/O.
// A failed poll records its error here and never replaces the snapshot: last good wins, per source.
import type { Diagnostic, MarathonState, MesosState, Snapshot } from './model.js';
import type { SwitchyardError } from './errors.js';

/** The upstreams that feed the snapshot; each owns one half of it. */
export type SourceName = 'mesos' | 'marathon';

export interface PollFailure {
  readonly code: string;
  readonly message: string;
  /** Wall-clock ms. */
  readonly at: number;
  readonly source: SourceName;
}

export type SnapshotListener = (snapshot: Snapshot) => void;
/** Told when a poll of `source` brought the state already installed (see confirm). */
export type ConfirmListener = (source: SourceName) => void;

export class SnapshotStore {
  private current: Snapshot = { generation: 0, loadedAt: 0, mesos: null, marathon: null, diagnostics: [] };
  // Kept apart so that accepting one half replaces only that half's diagnostics.
  private readonly diagnosticsOf: Record<SourceName, readonly Diagnostic[]> = { mesos: [], marathon: [] };
  private readonly failures: Record<SourceName, PollFailure | null> = { mesos: null, marathon: null };
  private readonly loadedAt: Record<SourceName, number | null> = { mesos: null, marathon: null };
  private readonly listeners = new Set<SnapshotListener>();
  private readonly confirmListeners = new Set<ConfirmListener>();

  get snapshot(): Snapshot {
    return this.current;
  }

  /**
   * The most recent failure of any source whose last poll failed; null when every source's last poll succeeded.
   * A source that recovers no longer counts, even when another one is still failing.
   */
  get lastFailure(): PollFailure | null {
    const { mesos, marathon } = this.failures;
    if (mesos === null || marathon === null) return mesos ?? marathon;
    return marathon.at >= mesos.at ? marathon : mesos;
  }

  /** When that source's half was last accepted (wall-clock ms), or null before its first good poll. */
  loadedAtOf(source: SourceName): number | null {
    return this.loadedAt[source];
  }

  /** The diagnostics that source's half was last accepted with. */
  diagnosticsFrom(source: SourceName): readonly Diagnostic[] {
    return this.diagnosticsOf[source];
  }

  /** The error of that source's most recent poll, or null when it succeeded (or never ran). */
  failureOf(source: SourceName): PollFailure | null {
    return this.failures[source];
  }

  /** Installs a new Mesos state, keeping the Marathon half, and tells every listener. */
  accept(mesos: MesosState, diagnostics: readonly Diagnostic[], now: number): Snapshot {
    return this.install('mesos', { mesos, marathon: this.current.marathon }, diagnostics, now);
  }

  /** Installs a new Marathon state, keeping the Mesos half, and tells every listener. */
  acceptMarathon(marathon: MarathonState, diagnostics: readonly Diagnostic[], now: number): Snapshot {
    return this.install('marathon', { mesos: this.current.mesos, marathon }, diagnostics, now);
  }

  /**
   * Records a poll of `source` that brought the state already installed: it is current as of `now` (for readiness
   * and ages) and the source's failure is cleared, but no new generation is made and no snapshot listener is
   * called; confirm listeners are.
   */
  confirm(source: SourceName, now: number): void {
    this.failures[source] = null;
    this.loadedAt[source] = now;
    for (const listener of this.confirmListeners) listener(source);
  }

  subscribeConfirmed(listener: ConfirmListener): () => void {
    this.confirmListeners.add(listener);
    return () => this.confirmListeners.delete(listener);
  }

  /** Records a failed poll of `source`; the snapshot stays as it is. */
  reject(error: SwitchyardError, now: number, source: SourceName = 'mesos'): void {
    this.failures[source] = { code: error.code, message: error.message, at: now, source };
  }

  subscribe(listener: SnapshotListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private install(
    source: SourceName,
    halves: Pick<Snapshot, 'mesos' | 'marathon'>,
    diagnostics: readonly Diagnostic[],
    now: number,
  ): Snapshot {
    this.diagnosticsOf[source] = diagnostics;
    this.current = {
      generation: this.current.generation + 1,
      loadedAt: now,
      mesos: halves.mesos,
      marathon: halves.marathon,
      diagnostics: [...this.diagnosticsOf.mesos, ...this.diagnosticsOf.marathon],
    };
    this.failures[source] = null;
    this.loadedAt[source] = now;
    for (const listener of this.listeners) listener(this.current);
    return this.current;
  }
}
