// The poll loop: fetch a state, resolve the host names it uses, normalize it, and hand it to the store.
// I/O shell (timers, network through the source, name lookups). One poll at a time; a failed poll keeps the old state.
import { lookup } from 'node:dns/promises';
import type { Logger } from 'pino';
import { acceptedOf, stillServed, type Accepted } from './accepted.js';
import { parseBody, type Body, type Fetched, type ItemHookFor, type KnownBody } from './body.js';
import { asSwitchyardError, SwitchyardError } from './errors.js';
import { DiagnosticLog } from './diagnostic-log.js';
import { Progress } from './progress.js';
import { hostnamesIn, normalizeMesosSteps, parseMesosState } from './normalize.js';
import { prepareMesosTasks } from './mesos-task.js';
import { sameDiagnostics, sameMesosStateSteps } from './same-state.js';
import { runInSlices } from './slices.js';
import { SingleFlight } from './single-flight.js';
import type { SnapshotStore } from './store.js';

export interface StateSource {
  /**
   * `known` is what was kept of the body last accepted: a source answers `unchanged` for that body, not parsing it.
   * `items`, when given, is applied to the items of large arrays as the body is parsed (see ItemHook).
   */
  fetch(known: KnownBody | null, items?: ItemHookFor | null): Promise<Fetched>;
  /** Sources that can tell when their data changed (files) call onChange. */
  watch?(onChange: () => void): void;
  close?(): Promise<void>;
}

/** A Mesos state's tasks prepared as they are parsed, with one TaskPreparer per body. */
const PREPARE_TASKS: ItemHookFor = () => prepareMesosTasks();

export type ResolveHost = (host: string) => Promise<readonly string[]>;

export interface PollerOptions {
  readonly source: StateSource;
  readonly store: SnapshotStore;
  readonly refreshMs: number;
  readonly logger: Logger;
  readonly resolveHost?: ResolveHost;
  readonly now?: () => number;
}

export type PollResult = { readonly ok: true; readonly generation: number } | { readonly ok: false; readonly error: SwitchyardError };

/**
 * Looks a name up through the system resolver, as mesos-dns does for hostnames in pids: IPv4 addresses when there
 * are any (mesos-dns publishes only those), else IPv6. Never throws; an unknown name gives [].
 */
export const systemResolveHost: ResolveHost = async (host) => {
  for (const family of [4, 6] as const) {
    try {
      const found = await lookup(host, { all: true, family });
      if (found.length > 0) return found.map((entry) => entry.address);
    } catch {
      // try the other family, then give up
    }
  }
  return [];
};

/** What a poller has done so far, for /metrics. */
export interface PollCounters {
  readonly polls: number;
  readonly failures: number;
  /** Polls that brought the body already accepted (nothing parsed, no new snapshot). */
  readonly unchanged: number;
  /**
   * Polls that parsed a state and diagnostics the same as those served, so nothing was rebuilt: most often a new body
   * (a status update, an offer), else the same body parsed again because a host name in it was looked up anew.
   */
  readonly sameState: number;
  /** Duration of the last poll, good or bad, in ms; null before the first. */
  readonly lastDurationMs: number | null;
}

export class MesosPoller {
  private readonly count = { polls: 0, failures: 0, unchanged: 0, sameState: 0, lastDurationMs: null as number | null };
  private accepted: Accepted | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private readonly diagnostics: DiagnosticLog;
  private readonly flight: SingleFlight<PollResult>;

  constructor(private readonly options: PollerOptions) {
    this.diagnostics = new DiagnosticLog(options.logger);
    this.flight = new SingleFlight({
      run: (reason) => this.pollOnce(reason),
      // A queued follow-up schedules the next refresh when it finishes.
      onIdle: () => {
        if (!this.stopped) this.schedule();
      },
    });
  }

  /** Polls now, then every refreshMs; a watching source also triggers a poll on each change. */
  start(): void {
    this.stopped = false;
    this.options.source.watch?.(() => void this.pollNow('source changed'));
    void this.pollNow('start');
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    await this.flight.idle();
    await this.options.source.close?.();
  }

  /**
   * Runs a poll now. When one is already running, the caller gets one follow-up poll that starts right after it,
   * shared by everyone who asks meanwhile, so the promise settles only once a state fetched after the request is in.
   */
  pollNow(reason: string): Promise<PollResult> {
    return this.flight.request(reason);
  }

  private schedule(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.pollNow('refresh'), this.options.refreshMs);
    this.timer.unref();
  }

  get counters(): PollCounters {
    return { ...this.count };
  }

  private async pollOnce(reason: string): Promise<PollResult> {
    const { store, logger } = this.options;
    const now = this.options.now ?? Date.now;
    const started = now();
    this.count.polls += 1;
    // Only the first load is watched: later polls replace a state that is already being served.
    const progress = store.snapshot.mesos === null ? new Progress(logger, 'loading the Mesos state') : null;
    // The body this poll brought or decompressed, released once parsed and kept (see Body.release).
    let fresh: Body | null = null;
    try {
      progress?.at('fetching');
      const accepted = this.accepted;
      // Each task normalized as it is parsed: a large state's raw tasks are never all kept (see mesos-task.ts).
      const fetched = await this.options.source.fetch(accepted?.known ?? null, PREPARE_TASKS);
      if (!fetched.unchanged) fresh = fetched.body;
      const resolveHost = this.options.resolveHost ?? systemResolveHost;
      let doc: unknown;
      // What to keep once the state is accepted: what is kept already, when it is the same body.
      let keep: KnownBody | Body;
      if (fetched.unchanged) {
        if (accepted === null) throw new Error(`${fetched.from}: a source answered unchanged with nothing accepted`);
        // The same state: confirmed as current and nothing rebuilt, unless a host name in it now resolves elsewhere.
        if (await stillServed(accepted, (names) => resolveAll(names, resolveHost))) {
          store.confirm('mesos', now());
          this.count.unchanged += 1;
          this.count.lastDurationMs = now() - started;
          logger.debug({ from: fetched.from, reason, ms: this.count.lastDurationMs }, 'state unchanged');
          return { ok: true, generation: store.snapshot.generation };
        }
        fresh = await accepted.known.body();
        doc = await parseBody(fresh, fetched.from, PREPARE_TASKS);
        keep = accepted.known;
      } else {
        doc = fetched.doc;
        keep = fetched.body;
      }
      progress?.at('checking the state');
      const parsed = parseMesosState(doc);
      if (!parsed.ok) {
        throw new SwitchyardError(parsed.code, `state from ${fetched.from} has the wrong shape: ${parsed.message}`);
      }
      const names = hostnamesIn(parsed.doc);
      progress?.at('resolving host names', { hosts: names.length });
      const hosts = await resolveAll(names, resolveHost);
      progress?.at('normalizing');
      // In slices: at 100k tasks normalizing takes over a second, and the DNS server answers in between.
      const normalized = await runInSlices(normalizeMesosSteps(parsed.doc, hosts));
      // A master's state changes with every status update and resource offer, most of which DNS never sees: a state
      // the same as the one served is kept as it is (the same object), so nothing downstream rebuilds.
      const served = store.snapshot.mesos;
      const kept = served !== null && (await runInSlices(sameMesosStateSteps(served, normalized.state))) ? served : null;
      // Forgotten first: until the new body is kept, nothing may be confirmed as the state now served.
      this.accepted = null;
      let generation: number;
      if (kept !== null && sameDiagnostics(store.diagnosticsFrom('mesos'), normalized.diagnostics)) {
        store.confirm('mesos', now());
        this.count.sameState += 1;
        this.count.lastDurationMs = now() - started;
        generation = store.snapshot.generation;
        logger.debug({ from: fetched.from, reason, ms: this.count.lastDurationMs }, 'state unchanged: parsed, and the same as the one served');
      } else {
        // A new state; or the same one with other diagnostics, installed with the object served so that the records
        // are not rebuilt either.
        const snapshot = store.accept(kept ?? normalized.state, normalized.diagnostics, now());
        this.diagnostics.report(normalized.diagnostics);
        this.count.lastDurationMs = now() - started;
        generation = snapshot.generation;
        progress?.done({ frameworks: normalized.state.frameworks.length });
        logger.debug(
          { generation, from: fetched.from, reason, ms: this.count.lastDurationMs, frameworks: normalized.state.frameworks.length },
          'state loaded',
        );
      }
      // Kept last, after the state is served and logged: compressing the body takes its share of a second. The new
      // body is kept even when its state was the same, so that it is the one the next poll is recognised against.
      this.accepted = await acceptedOf(keep, accepted?.known ?? null, hosts, logger);
      return { ok: true, generation };
    } catch (error) {
      progress?.done();
      this.count.failures += 1;
      this.count.lastDurationMs = now() - started;
      const failure = asSwitchyardError(error, 'SWY_UPSTREAM_MALFORMED', 'poll failed');
      // A kept body that cannot be decompressed is no use again: the next poll starts from nothing.
      if (this.accepted?.known.damaged === true) this.accepted = null;
      store.reject(failure, now());
      logger.error(
        { code: failure.code, err: failure.message, cause: failure.cause instanceof Error ? failure.cause.message : undefined, generation: store.snapshot.generation },
        store.snapshot.generation > 0 ? 'poll failed; still serving the last good state' : 'poll failed; no state loaded yet',
      );
      return { ok: false, error: failure };
    } finally {
      fresh?.release();
    }
  }
}

/** Each name looked up at the same time. */
async function resolveAll(names: readonly string[], resolveHost: ResolveHost): Promise<Map<string, readonly string[]>> {
  return new Map(await Promise.all(names.map(async (name) => [name, await resolveHost(name)] as const)));
}
