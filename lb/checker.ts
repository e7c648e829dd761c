// Validates a candidate HAProxy config with `haproxy -c -f <path>` before it may replace the live one.
// I/O: spawns the haproxy binary (no shell) and waits for it, killing it on timeout.
import { spawn } from 'node:child_process';

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
const INSTALL_HINT = 'install HAProxy 2.x (Debian/Ubuntu: apt-get install haproxy) or set lb.haproxy.binary';

export async function checkConfig(path: string, options: CheckOptions = {}): Promise<CheckResult> {
  const binary = options.binary ?? 'haproxy';
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;

  return new Promise<CheckResult>((resolve) => {
    let settled = false;
    const finish = (result: CheckResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };

    // No shell: the path is passed as one argument, so no quoting or injection concerns.
    const child = spawn(binary, ['-c', '-f', path], { stdio: ['ignore', 'pipe', 'pipe'] });

    const chunks: Buffer[] = [];
    let size = 0;
    const collect = (chunk: Buffer): void => {
      if (size >= MAX_OUTPUT_BYTES) return;
      chunks.push(chunk);
      size += chunk.length;
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const output = (): string => Buffer.concat(chunks).toString('utf8').slice(0, MAX_OUTPUT_BYTES);

    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);

    child.on('error', (err: NodeJS.ErrnoException) => {
      // ENOENT / EACCES: the binary cannot be run at all, which says nothing about the config.
      const why = err.code === 'ENOENT' ? `${binary} not found` : `cannot run ${binary}: ${err.message}`;
      finish({ ok: false, code: 'SWY_HAPROXY_UNAVAILABLE', message: `${why}; ${INSTALL_HINT}`, output: output() });
    });

    // 'close' (not 'exit') so that all of stdout/stderr has been read.
    child.on('close', (code, signal) => {
      if (timedOut) {
        finish({
          ok: false,
          code: 'SWY_HAPROXY_UNAVAILABLE',
          message: `${binary} -c did not finish within ${timeoutMs} ms and was killed; ${INSTALL_HINT}`,
          output: output(),
        });
      } else if (code === 0) {
        finish({ ok: true });
      } else if (code === null) {
        // Killed by someone else's signal (or crashed): the binary is broken, not the config.
        finish({
          ok: false,
          code: 'SWY_HAPROXY_UNAVAILABLE',
          message: `${binary} -c was terminated by ${signal ?? 'a signal'}; ${INSTALL_HINT}`,
          output: output(),
        });
      } else {
        const text = output();
        finish({ ok: false, code: 'SWY_HAPROXY_CONFIG_INVALID', message: summarise(text, code), output: text });
      }
    });
  });
}

/**
 * One line from HAProxy's ALERTs, e.g. "parsing [/x/haproxy.cfg:12] : unknown keyword 'foo' ...".
 * The closing "Error(s) found" / "Fatal errors found" ALERTs repeat nothing useful, so they are used only when alone.
 */
export function summarise(output: string, exitCode: number): string {
  const alerts = output
    .split(/\r?\n/)
    .filter((line) => line.startsWith('[ALERT]'))
    // "[ALERT]    (1234) : config : parsing [...]" → "parsing [...]"; the pid and section tag are noise in a log line.
    .map((line) => line.replace(/^\[ALERT\]\s*(\(\d+\)\s*)?:\s*(config\s*:\s*)?/, '').trim())
    .filter((line) => line !== '');
  const specific = alerts.filter((line) => !/^(Error\(s\) found in configuration file|Fatal errors found in configuration)/.test(line));
  const chosen = (specific.length > 0 ? specific : alerts).slice(0, MAX_ALERTS_IN_MESSAGE);
  if (chosen.length === 0) return `haproxy -c rejected the configuration (exit ${exitCode})`;
  const more = specific.length > chosen.length ? ` (+${specific.length - chosen.length} more)` : '';
  return `haproxy -c rejected the configuration: ${chosen.join('; ')}${more}`;
}
