// A managed HAProxy in master-worker mode (-W -S): start, hitless reload with the server state saved first, the
// process list from the master CLI, restart with backoff when the master dies, stop. I/O: spawns and signals
// HAProxy, talks to its CLI sockets, writes the state file.
import { spawn, type ChildProcess } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { INSTALL_HINT } from './haproxy-alerts.js';
import { HaproxyError } from './haproxy-errors.js';
import { HaproxyOutput } from './haproxy-output.js';
import { exited, killStrays } from './haproxy-procs.js';
import { RuntimeApi, parseServersState, parseShowProc, type ProcEntry, type ShowProc } from './runtime-api.js';
import type { ReloadOutcome } from './reloaders.js';
import { writeIfChanged } from './writer.js';

export interface ManagedHaproxyOptions {
  readonly binary: string;
  /** Written and validated (`haproxy -c`) by someone else before start() and each reload(). */
  readonly configFile: string;
  /** Passed as `-S <path>`: the master CLI. */
  readonly masterSocket: string;
  /** The config's `stats socket … level admin` path, read for `show servers state`. */
  readonly adminSocket: string;
  /** The config's global `server-state-file`; rewritten before each reload. */
  readonly stateFile: string;
  readonly logger: Logger;
  readonly startTimeoutMs?: number;
  readonly reloadTimeoutMs?: number;
  readonly restartBackoffMs?: { readonly initial: number; readonly max: number };
}

export interface HaproxyProcesses {
  readonly master: number;
  readonly current: number | null;
  /** Workers of earlier configs still finishing connections; `hard-stop-after` bounds how long. */
  readonly old: readonly number[];
}

/** A reload's outcome, and on success the pid of the new worker. */
export type HaproxyReload = (Extract<ReloadOutcome, { ok: true }> & { worker: number }) | Extract<ReloadOutcome, { ok: false }>;

type Phase = 'idle' | 'starting' | 'running' | 'restarting' | 'stopping' | 'stopped';

const POLL_MS = 10;
const CLI_TIMEOUT_MS = 2_000;
const STOP_GRACE_MS = 5_000;

/** HAProxy 2.6 lists one current worker; were there several, the one that lived through the fewest reloads is newest. */
function newest(workers: readonly ProcEntry[]): ProcEntry | undefined {
  return [...workers].sort((a, b) => a.reloads - b.reloads)[0];
}

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

export class ManagedHaproxy {
  readonly #options: ManagedHaproxyOptions;
  readonly #logger: Logger;
  readonly #output: HaproxyOutput;
  readonly #master: RuntimeApi;
  readonly #admin: RuntimeApi;
  readonly #backoff: { readonly initial: number; readonly max: number };
  #phase: Phase = 'idle';
  #child: ChildProcess | null = null;
  #restarts = 0;
  #delay: number;
  #restartTimer: NodeJS.Timeout | null = null;
  #upSince = 0;
  #reloads: Promise<unknown> = Promise.resolve();
  /** The workers the last `show proc` listed: stop() makes sure none outlives the master. */
  #workers: readonly number[] = [];

  constructor(options: ManagedHaproxyOptions) {
    // `-S <bind>[,<option>…]`: a comma would be read as the start of bind options.
    if (options.masterSocket.includes(',')) throw new TypeError(`the master socket path may not contain ',': ${options.masterSocket}`);
    this.#options = options;
    this.#logger = options.logger;
    this.#output = new HaproxyOutput(options.logger);
    this.#master = new RuntimeApi(options.masterSocket, { timeoutMs: CLI_TIMEOUT_MS });
    this.#admin = new RuntimeApi(options.adminSocket, { timeoutMs: CLI_TIMEOUT_MS });
    this.#backoff = options.restartBackoffMs ?? { initial: 1_000, max: 30_000 };
    this.#delay = this.#backoff.initial;
  }

  /** Times the master was started again, successfully, after it died unexpectedly. */
  get restarts(): number {
    return this.#restarts;
  }

  /** Spawns `binary -W -S masterSocket -f configFile` and resolves once the master reports a worker. */
  async start(): Promise<void> {
    if (this.#phase !== 'idle' && this.#phase !== 'stopped') throw new Error(`ManagedHaproxy.start() while ${this.#phase}`);
    this.#phase = 'starting';
    try {
      await this.#launch();
    } catch (error) {
      if (this.#phase === 'starting') this.#phase = 'stopped';
      throw error;
    }
    if (this.#phase !== 'starting') throw new HaproxyError('SWY_HAPROXY_START_FAILED', 'stopped while starting');
    this.#phase = 'running';
    this.#upSince = Date.now();
  }

  /** Saves the server state, has the master load the config again (SIGUSR2) and waits for the new worker. */
  reload(): Promise<HaproxyReload> {
    // One at a time: overlapping SIGUSR2s would blur which reload produced which worker.
    const run = this.#reloads.then(() => this.#reloadNow());
    this.#reloads = run.catch(() => undefined);
    return run;
  }

  async processes(): Promise<HaproxyProcesses> {
    const child = this.#child;
    if (this.#phase !== 'running' || child === null) throw new HaproxyError('SWY_HAPROXY_NOT_RUNNING', `HAProxy is not running (${this.#phase})`);
    const procs = await this.#showProc(child);
    return { master: procs.master.pid, current: newest(procs.workers)?.pid ?? null, old: procs.oldWorkers.map((w) => w.pid) };
  }

  /** SIGTERM to the master (which stops its workers), SIGKILL after a grace period; then no process of ours is left. */
  async stop(): Promise<void> {
    if (this.#phase === 'idle' || this.#phase === 'stopped') return;
    this.#phase = 'stopping';
    if (this.#restartTimer !== null) clearTimeout(this.#restartTimer);
    this.#restartTimer = null;
    const child = this.#child;
    if (child !== null) {
      child.kill('SIGTERM');
      if (!(await exited(child, STOP_GRACE_MS))) {
        this.#logger.warn({ haproxy: child.pid }, `HAProxy master did not stop within ${STOP_GRACE_MS} ms of SIGTERM; killing it`);
        child.kill('SIGKILL');
        await exited(child, STOP_GRACE_MS);
      }
    }
    this.#child = null;
    const strays = await killStrays(this.#workers, this.#options.configFile);
    if (strays.length > 0) this.#logger.warn({ pids: strays }, 'HAProxy workers outlived their master and were killed');
    this.#phase = 'stopped';
  }

  /** Spawns a master and waits for its first worker; on failure the master is gone and the error carries its output. */
  async #launch(): Promise<void> {
    const { binary, configFile, masterSocket, stateFile } = this.#options;
    // An empty state file spares the first start HAProxy's "Can't open global server state file" warning.
    await writeFile(stateFile, '', { flag: 'a' }).catch(() => undefined);
    const timeoutMs = this.#options.startTimeoutMs ?? 10_000;
    const mark = this.#output.mark();
    const child = spawn(binary, ['-W', '-S', masterSocket, '-f', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.#child = child;
    let spawnError: Error | null = null;
    child.once('error', (error) => (spawnError = error));
    child.once('exit', (code, signal) => this.#onExit(child, code ?? signal ?? '?'));
    this.#output.attach(child.stdout, child.pid);
    this.#output.attach(child.stderr, child.pid);

    const fail = async (message: string): Promise<never> => {
      if (child.exitCode === null && child.signalCode === null && spawnError === null) {
        child.kill('SIGKILL');
        await exited(child, STOP_GRACE_MS);
      }
      await sleep(POLL_MS); // the last lines may still be in the pipe
      if (this.#child === child) this.#child = null;
      const output = this.#output.since(mark);
      throw new HaproxyError('SWY_HAPROXY_START_FAILED', `${binary} -f ${configFile}: ${message}${output === '' ? '' : `\n${output}`}`, { output });
    };
    const deadline = Date.now() + timeoutMs;
    let lastProblem = '';
    for (;;) {
      if (spawnError !== null) {
        const missing = (spawnError as NodeJS.ErrnoException).code === 'ENOENT';
        return fail(missing ? `${binary} not found; ${INSTALL_HINT}` : `cannot run ${binary}: ${messageOf(spawnError)}`);
      }
      if (child.exitCode !== null || child.signalCode !== null) {
        const how = child.exitCode ?? child.signalCode;
        return fail(this.#phase === 'stopping' ? 'stopped before a worker was running' : `exited (${how}) before a worker was running`);
      }
      try {
        const procs = await this.#showProc(child);
        if (procs.workers.length > 0) {
          this.#logger.info({ haproxy: child.pid, worker: newest(procs.workers)?.pid }, 'HAProxy started');
          return;
        }
      } catch (error) {
        lastProblem = messageOf(error); // the master CLI is not up yet
      }
      if (Date.now() > deadline) return fail(`no worker within ${timeoutMs} ms${lastProblem === '' ? '' : ` (${lastProblem})`}`);
      await sleep(POLL_MS);
    }
  }

  #onExit(child: ChildProcess, how: number | string): void {
    if (this.#child !== child) return;
    this.#child = null;
    // A launch in progress and stop() watch their own child; only a running master's death is unexpected.
    if (this.#phase !== 'running') return;
    this.#phase = 'restarting';
    if (Date.now() - this.#upSince >= this.#backoff.max) this.#delay = this.#backoff.initial; // it had been healthy
    this.#logger.error(
      { code: 'SWY_HAPROXY_EXITED', haproxy: child.pid, exit: how, output: this.#output.since(Math.max(0, this.#output.mark() - 20)) },
      `HAProxy master exited unexpectedly (${how}); restarting in ${this.#delay} ms`,
    );
    this.#scheduleRestart();
  }

  #scheduleRestart(): void {
    const delay = this.#delay;
    this.#delay = Math.min(delay * 2, this.#backoff.max);
    this.#restartTimer = setTimeout(() => void this.#restart(), delay);
  }

  async #restart(): Promise<void> {
    this.#restartTimer = null;
    if (this.#phase !== 'restarting') return;
    const strays = await killStrays(this.#workers, this.#options.configFile);
    if (strays.length > 0) this.#logger.warn({ pids: strays }, 'HAProxy workers outlived their dead master and were killed');
    try {
      await this.#launch();
    } catch (error) {
      if (this.#phase !== 'restarting') return;
      this.#logger.error({ code: 'SWY_HAPROXY_START_FAILED', err: messageOf(error) }, `HAProxy restart failed; next attempt in ${this.#delay} ms`);
      this.#scheduleRestart();
      return;
    }
    if (this.#phase !== 'restarting') return; // stop() arrived meanwhile and deals with the new master
    this.#restarts += 1;
    this.#phase = 'running';
    this.#upSince = Date.now();
  }

  async #reloadNow(): Promise<HaproxyReload> {
    const started = Date.now();
    const mark = this.#output.mark();
    // This reload's lines, or (when HAProxy said nothing) its last ones for context.
    const output = (): string => this.#output.since(mark) || this.#output.since(this.#output.mark() - 20);
    const failed = (message: string): HaproxyReload => ({ ok: false, message, output: output(), ms: Date.now() - started });
    const child = this.#child;
    if (this.#phase !== 'running' || child === null) return failed(`HAProxy is not running (${this.#phase})`);
    const deadline = started + (this.#options.reloadTimeoutMs ?? 10_000);
    let before: ShowProc | null = null;
    // Retried: the master CLI is briefly gone while a master re-executes (an earlier reload that timed out, say).
    for (let first = true; before === null && (first || Date.now() < deadline); first = false) {
      before = await this.#showProc(child).catch(() => null);
      if (before === null) await sleep(POLL_MS);
      if (this.#child !== child) return failed('the HAProxy master exited during the reload');
    }
    if (before === null) return failed(`the master CLI ${this.#options.masterSocket} did not answer before the reload`);
    await this.#saveServerState();
    child.kill('SIGUSR2');
    while (Date.now() < deadline) {
      await sleep(POLL_MS);
      if (this.#child !== child) return failed('the HAProxy master exited during the reload');
      // The master re-executes itself to reload, so its CLI is briefly gone: a failed poll just means "not yet".
      const now = await this.#showProc(child).catch(() => null);
      if (now === null || now.master.reloads <= before.master.reloads) continue;
      const current = newest(now.workers)?.pid;
      if (current !== undefined && !before.workers.some((w) => w.pid === current)) return { ok: true, ms: Date.now() - started, worker: current };
      if (now.master.failedReloads > before.master.failedReloads) {
        await sleep(POLL_MS); // its ALERT lines may still be in the pipe
        const alerts = this.#output.alertsSince(mark);
        return failed(`HAProxy rejected the reload and keeps the previous worker${alerts.length === 0 ? '' : `: ${alerts.join('; ')}`}`);
      }
    }
    return failed(`no new HAProxy worker within ${this.#options.reloadTimeoutMs ?? 10_000} ms of the reload signal`);
  }

  /**
   * Writes `show servers state` to the state file, which the new worker loads (`load-server-state-from-file`), so
   * servers keep their health and maintenance state across the reload. When that fails the old file is removed:
   * a stale state could put back into maintenance a server the runtime API has enabled since.
   */
  async #saveServerState(): Promise<void> {
    const { stateFile } = this.#options;
    try {
      const [dump = ''] = await this.#admin.run(['show servers state']);
      parseServersState(dump); // throws on an error reply, which must not become the state file
      await writeIfChanged(stateFile, `${dump}\n`);
    } catch (error) {
      this.#logger.warn({ code: 'SWY_HAPROXY_STATE_NOT_SAVED', err: messageOf(error), stateFile }, 'could not save the server state before the reload; servers start from the config');
      await rm(stateFile, { force: true }).catch(() => undefined);
    }
  }

  async #showProc(child: ChildProcess): Promise<ShowProc> {
    const [answer = ''] = await this.#master.run(['show proc']);
    let procs: ShowProc;
    try {
      procs = parseShowProc(answer);
    } catch (error) {
      throw new HaproxyError('SWY_HAPROXY_RUNTIME_FAILED', `unexpected "show proc" answer on ${this.#options.masterSocket}`, { cause: error, output: answer });
    }
    // A stale socket file can belong to another HAProxy that is still running: its processes are not ours.
    if (procs.master.pid !== child.pid) {
      throw new HaproxyError('SWY_HAPROXY_RUNTIME_FAILED', `${this.#options.masterSocket} is answered by HAProxy master ${procs.master.pid}, not ours (${child.pid ?? '?'})`);
    }
    this.#workers = [...procs.workers, ...procs.oldWorkers].map((w) => w.pid);
    return procs;
  }
}
