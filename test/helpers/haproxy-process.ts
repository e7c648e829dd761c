// Test helper: runs a real HAProxy in the foreground (`haproxy -f FILE -db`) on a generated config, waits until it
// listens, reloads it (`-sf`), and stops it. I/O: spawns processes, probes loopback ports.
import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { accepts } from './loopback-client.js';

export const HAPROXY_BINARY = '/usr/sbin/haproxy';

export interface HaproxyProcess {
  readonly pid: number;
  readonly child: ChildProcess;
  /** Everything HAProxy wrote to stdout and stderr (alerts, warnings), for failure messages. */
  readonly output: () => string;
  /** Starts a new HAProxy on `configFile` that takes over from this one (`-sf`); resolves once this one has exited. */
  reload(configFile: string): Promise<HaproxyProcess>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. Safe to call twice. */
  stop(graceMs?: number): Promise<void>;
}

export interface StartOptions {
  /** Loopback port that must accept connections before start resolves (the shared HTTP frontend, say). */
  readonly readyPort: number;
  readonly readyAddress?: string;
  readonly timeoutMs?: number;
  readonly binary?: string;
  /** Pid of an HAProxy to replace: passed as `-sf`, which tells it to finish its connections and exit. */
  readonly replacing?: HaproxyProcess;
  /**
   * Passed as `-n`, which overrides the global `maxconn`: marathon-lb's 50000 needs about 100 000 file descriptors,
   * more than a test machine's limit often allows (HAProxy then refuses to start). Default 2000.
   */
  readonly maxconn?: number;
}

function exitOf(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

async function waitFor(what: string, timeoutMs: number, check: () => Promise<boolean> | boolean, failure: () => string | null): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const failed = failure();
    if (failed !== null) throw new Error(failed);
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs} ms`);
    await sleep(25);
  }
}

/** Starts HAProxy on `configFile` and resolves once `readyPort` accepts (and, when replacing, the old one exited). */
export async function startHaproxy(configFile: string, options: StartOptions): Promise<HaproxyProcess> {
  const timeoutMs = options.timeoutMs ?? 5_000;
  const address = options.readyAddress ?? '127.0.0.1';
  const args = ['-f', configFile, '-db', '-n', String(options.maxconn ?? 2000)];
  if (options.replacing !== undefined) args.push('-sf', String(options.replacing.pid));
  const child = spawn(options.binary ?? HAPROXY_BINARY, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  let spawnError: Error | null = null;
  child.once('error', (error) => (spawnError = error));
  const exited = exitOf(child);

  const died = (): string | null => {
    if (spawnError !== null) return `cannot run ${options.binary ?? HAPROXY_BINARY}: ${String(spawnError)}`;
    if (child.exitCode !== null || child.signalCode !== null) {
      return `haproxy -f ${configFile} exited (${child.exitCode ?? child.signalCode}) before it was ready`;
    }
    return null;
  };

  const handle: HaproxyProcess = {
    get pid(): number {
      return child.pid ?? -1;
    },
    child,
    output: () => output,
    reload: (file) => startHaproxy(file, { ...options, replacing: handle }),
    stop: async (graceMs = 2_000) => {
      // A process that never started (spawn error) may never emit 'exit'.
      if (child.pid === undefined || spawnError !== null || child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };

  try {
    if (options.replacing !== undefined) {
      // The old process leaves only after the new one has bound its listeners, so once it is gone, what accepts is new.
      const old = options.replacing.child;
      await waitFor(
        `the replaced haproxy (pid ${options.replacing.pid}) did not exit after -sf`,
        timeoutMs,
        () => old.exitCode !== null || old.signalCode !== null,
        died,
      );
    }
    await waitFor(`haproxy -f ${configFile} did not accept on ${address}:${options.readyPort}`, timeoutMs, () => accepts(options.readyPort, address), died);
  } catch (error) {
    await handle.stop(500);
    throw new Error(`${(error as Error).message}\nhaproxy output:\n${output}`);
  }
  return handle;
}
