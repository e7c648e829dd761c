// Validates a candidate HAProxy config with `haproxy -c -f <path>` before it may replace the live one.
// I/O: runs the haproxy binary (no shell) through lb/run-process.ts, which kills it on timeout.
import { alertLines, INSTALL_HINT, isClosingAlert } from './haproxy-alerts.js';
import { runProcess } from './run-process.js';

export type CheckResult =
  | { ok: true }
  | { ok: false; code: 'SWY_HAPROXY_CONFIG_INVALID' | 'SWY_HAPROXY_UNAVAILABLE'; message: string; output: string };

export interface CheckOptions {
  /** The haproxy executable; looked up on PATH when it has no slash. */
  binary?: string;
  /** How long `haproxy -c` may take before it is killed and reported as unavailable. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 10_000;
// `haproxy -c` prints a few lines; the cap only guards against a runaway binary filling memory.
const MAX_OUTPUT_BYTES = 1024 * 1024;
// A message is one log line: at most this many ALERTs are quoted, the rest stay in `output`.
const MAX_ALERTS_IN_MESSAGE = 3;

export async function checkConfig(path: string, options: CheckOptions = {}): Promise<CheckResult> {
  const binary = options.binary ?? 'haproxy';
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;

  // No shell: the path is passed as one argument, so no quoting or injection concerns.
  const result = await runProcess(binary, ['-c', '-f', path], timeoutMs, MAX_OUTPUT_BYTES);
  switch (result.kind) {
    case 'failed': {
      // ENOENT / EACCES: the binary cannot be run at all, which says nothing about the config.
      const why = result.error.code === 'ENOENT' ? `${binary} not found` : `cannot run ${binary}: ${result.error.message}`;
      return { ok: false, code: 'SWY_HAPROXY_UNAVAILABLE', message: `${why}; ${INSTALL_HINT}`, output: result.output };
    }
    case 'timed-out':
      return { ok: false, code: 'SWY_HAPROXY_UNAVAILABLE', message: `${binary} -c did not finish within ${timeoutMs} ms and was killed; ${INSTALL_HINT}`, output: result.output };
    case 'signalled':
      // Killed by someone else's signal (or crashed): the binary is broken, not the config.
      return { ok: false, code: 'SWY_HAPROXY_UNAVAILABLE', message: `${binary} -c was terminated by ${result.signal}; ${INSTALL_HINT}`, output: result.output };
    case 'exited':
      if (result.code === 0) return { ok: true };
      return { ok: false, code: 'SWY_HAPROXY_CONFIG_INVALID', message: summarise(result.output, result.code), output: result.output };
  }
}

/**
 * One line from HAProxy's ALERTs, e.g. "parsing [/x/haproxy.cfg:12] : unknown keyword 'foo' ...".
 * The closing "Error(s) found" / "Fatal errors found" ALERTs repeat nothing useful, so they are used only when alone.
 */
export function summarise(output: string, exitCode: number): string {
  const alerts = alertLines(output)
    .map((line) => line.trim())
    .filter((line) => line !== '');
  const specific = alerts.filter((line) => !isClosingAlert(line));
  const chosen = (specific.length > 0 ? specific : alerts).slice(0, MAX_ALERTS_IN_MESSAGE);
  if (chosen.length === 0) return `haproxy -c rejected the configuration (exit ${exitCode})`;
  const more = specific.length > chosen.length ? ` (+${specific.length - chosen.length} more)` : '';
  return `haproxy -c rejected the configuration: ${chosen.join('; ')}${more}`;
}
