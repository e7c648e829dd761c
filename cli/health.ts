// /healthz and /readyz: alive, and ready = every configured source has a good snapshot that is young enough and
// nothing else the gateway names (the first records being built) holds it back.
// Pure: the gateway passes in the clock and what each source last did.

export interface SourceHealth {
  readonly source: 'mesos' | 'marathon';
  /** Wall-clock ms of the last good poll, or null. */
  readonly loadedAt: number | null;
  /** The expected poll interval in ms (refreshSeconds; lb.resyncSeconds for Marathon). */
  readonly intervalMs: number;
  /** The last poll's error, when it failed. */
  readonly failure: { readonly code: string; readonly message: string } | null;
}

export type Readiness = { readonly ready: true } | { readonly ready: false; readonly reasons: readonly string[] };

/** Ready when every source has a snapshot younger than `multiple` × its interval and `pending` is empty. */
export function readiness(sources: readonly SourceHealth[], multiple: number, now: number, pending: readonly string[] = []): Readiness {
  const reasons: string[] = [];
  for (const s of sources) {
    const why = s.failure === null ? '' : ` (last poll: ${s.failure.code}: ${s.failure.message})`;
    if (s.loadedAt === null) {
      reasons.push(`${s.source}: no state loaded yet${why}`);
      continue;
    }
    const limit = multiple * s.intervalMs;
    const age = now - s.loadedAt;
    if (age > limit) reasons.push(`${s.source}: the last good state is ${Math.round(age / 1000)} s old, more than ${Math.round(limit / 1000)} s${why}`);
  }
  reasons.push(...pending);
  return reasons.length === 0 ? { ready: true } : { ready: false, reasons };
}
