// Logs each diagnostic once, when it first appears, so a bad task does not flood the log on every poll.
// In-memory state plus logging; no other I/O.
import type { Logger } from 'pino';
import type { Diagnostic } from './model.js';

export class DiagnosticLog {
  private reported = new Set<string>();

  constructor(private readonly logger: Logger) {}

  /** Warns about the diagnostics not in the previous call's set; forgets the ones that went away. */
  report(diagnostics: readonly Diagnostic[]): void {
    const keys = new Set<string>();
    for (const d of diagnostics) {
      const key = `${d.code}\u0000${d.subject}\u0000${d.message}`;
      keys.add(key);
      if (!this.reported.has(key)) this.logger.warn({ code: d.code, source: d.source, subject: d.subject }, d.message);
    }
    this.reported = keys;
  }
}
