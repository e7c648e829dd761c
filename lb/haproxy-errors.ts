// Errors of the managed HAProxy and its CLI sockets, each with a stable code the README lists. Pure: no I/O.

export type HaproxyErrorCode =
  /** A CLI socket (admin `stats socket` or master CLI) is unreachable, timed out or answered unintelligibly. */
  | 'SWY_HAPROXY_RUNTIME_FAILED'
  /** The master exited or produced no worker while starting. */
  | 'SWY_HAPROXY_START_FAILED'
  /** Asked about processes while the master is down (restarting after a crash, stopped, never started). */
  | 'SWY_HAPROXY_NOT_RUNNING';

export class HaproxyError extends Error {
  readonly code: HaproxyErrorCode;
  /** HAProxy's own recent output, when it has any: the reason is usually in its ALERT lines. */
  readonly output: string;

  constructor(code: HaproxyErrorCode, message: string, options?: { cause?: unknown; output?: string }) {
    super(`${code}: ${message}`, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HaproxyError';
    this.code = code;
    this.output = options?.output ?? '';
  }
}
