// The two ways a written config reaches HAProxy: the operator's reload command, or the HAProxy switchyard runs
// itself (started on the first config, reloaded hitlessly after). I/O through the command or the managed process.
import { runReloadCommand } from './reload-command.js';

export type ReloadOutcome = { ok: true; ms: number } | { ok: false; message: string; output: string; ms: number };

export interface Reloader {
  /** Makes HAProxy serve lb.configFile as it is now. */
  reload(): Promise<ReloadOutcome>;
}

export class CommandReloader implements Reloader {
  constructor(
    private readonly argv: readonly string[],
    private readonly timeoutMs: number,
  ) {}

  async reload(): Promise<ReloadOutcome> {
    return runReloadCommand(this.argv, this.timeoutMs);
  }
}

/** The part of a managed HAProxy (lb/haproxy.ts) that reloading needs. */
export interface ManagedProcess {
  start(): Promise<void>;
  reload(): Promise<ReloadOutcome>;
}

export class ManagedReloader implements Reloader {
  private started = false;

  constructor(private readonly haproxy: ManagedProcess) {}

  async reload(): Promise<ReloadOutcome> {
    if (this.started) return this.haproxy.reload();
    const at = Date.now();
    try {
      await this.haproxy.start();
      this.started = true;
      return { ok: true, ms: Date.now() - at };
    } catch (error) {
      const output = typeof error === 'object' && error !== null && 'output' in error && typeof error.output === 'string' ? error.output : '';
      return { ok: false, message: `HAProxy did not start: ${(error as Error).message}`, output, ms: Date.now() - at };
    }
  }
}
