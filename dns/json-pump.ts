// Writes the pieces of dns/json-text.ts to an HTTP response in slices of a few milliseconds, yielding to the event
// loop between them and waiting while the client reads, so that a large /v1/axfr does not stop the DNS server.
// I/O: writes to the stream, reads the clock, schedules with setImmediate.
import type { Writable } from 'node:stream';

/** Text gathered before one write (thousands of small writes would cost more than the text). */
const WRITE_CHARS = 64 * 1024;

export interface PumpResult {
  /** How many slices the text took (1 when it was written without a pause). */
  readonly slices: number;
  /** False when the stream closed or failed before the end (a client that went away). */
  readonly complete: boolean;
}

/**
 * Writes every piece, then ends the stream. Resolves when done or when the stream closed early; rejects with what
 * the generator throws (the caller then destroys the stream: its head has gone out already).
 */
export function pumpJson(out: Writable, pieces: Generator<string | undefined, void>, sliceMs = 4): Promise<PumpResult> {
  return new Promise((resolve, reject) => {
    let slices = 0;
    let pending = '';
    let settled = false;
    const finish = (complete: boolean): void => {
      if (settled) return;
      settled = true;
      out.off('close', onClose);
      resolve({ slices, complete });
    };
    const onClose = (): void => finish(false);
    out.on('close', onClose);
    const slice = (): void => {
      if (settled) return;
      if (out.destroyed) {
        finish(false);
        return;
      }
      slices++;
      const deadline = performance.now() + sliceMs;
      try {
        for (;;) {
          const step = pieces.next();
          if (step.done === true) {
            out.end(pending, (error?: Error | null) => finish(error === undefined || error === null));
            return;
          }
          if (step.value !== undefined) pending += step.value;
          if (pending.length >= WRITE_CHARS) {
            const room = out.write(pending);
            pending = '';
            if (!room) {
              // Through setImmediate: a write the socket took at once emits 'drain' in a nextTick, and slices run
              // from nextTicks would keep the event loop (so the DNS server) waiting until the body was all written.
              out.once('drain', () => setImmediate(slice));
              return;
            }
          }
          if (step.value === undefined && performance.now() >= deadline) break;
        }
      } catch (error) {
        settled = true;
        out.off('close', onClose);
        reject(error instanceof Error ? error : new Error(String(error)));
        return;
      }
      setImmediate(slice);
    };
    slice();
  });
}
