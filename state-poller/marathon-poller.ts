// Keeps the Marathon half of the Snapshot current: a first fetch, then fetches asked for by /v2/events (coalesced),
// by every (re)connection of that stream, by a periodic resync and by a watched file. I/O shell: network, timers, DNS.
import type { Logger } from 'pino';
import { acceptedOf, stillServed, type Accepted } from './accepted.js';
import { parseBody, type Body, type ItemHookFor, type KnownBody } from './body.js';
import { Coalescer } from './coalescer.js';
import { DiagnosticLog } from './diagnostic-log.js';
import { Progress } from './progress.js';
import { asSwitchyardError, SwitchyardError } from './errors.js';
import { MarathonEventStream, type MarathonEventStreamOptions } from './marathon-events.js';
import { hostTable, MarathonAppMemo, marathonHostnames, normalizeMarathonSteps, prepareMarathonApps } from './marathon-normalize.js';
import { runInSlices } from './slices.js';
import type { MarathonState } from './model.js';
import { systemResolveHost, type PollResult, type ResolveHost, type StateSource } from './poller.js';
import { SingleFlight } from './single-flight.js';
import type { SnapshotStore } from './store.js';

/** Everything MarathonEventStream takes except the callbacks and logger, which the poller supplies. */
export type MarathonEventsOptions = Omit<MarathonEventStreamOptions, 'onEvent' | 'onConnected' | 'logger'>;

export interface MarathonPollerOptions {
  /** A MarathonSource (GET /v2/apps?embed=apps.tasks) or a FileSource holding the same document. */
  readonly source: StateSource;
  readonly store: SnapshotStore;
  readonly logger: Logger;
  /** Defaults to systemResolveHost (IPv4 first). */
  readonly resolveHost?: ResolveHost;
  readonly now?: () => number;
  /** Follow /v2/events as a trigger (marathon-lb's --sse); null or absent: resync timer and file watch only. */
  readonly events?: MarathonEventsOptions | null;
  /** A full fetch this long after the last one, events or not (marathon-lb: 300 s). Default 300 000. */
  readonly resyncMs?: number;
  /** Coalesced fetches start at least this far apart. */
  readonly minIntervalMs: number;
  /** A trigger is served within this long (unless a fetch is already running). */
  readonly maxDelayMs: number;
  /** Wait for triggers to be quiet this long (bounded by maxDelayMs) before fetching. Default 0. */
  readonly settleMs?: number;
}

export interface MarathonPollerCounters {
  /** Fetches started. */
  readonly fetches: number;
  /** Fetches that failed (the last good state stayed). */
  readonly failures: number;
  /** Fetches that brought the body already accepted (nothing parsed, no new snapshot). */
  readonly unchanged: number;
  /** Subscribed events received from /v2/events. */
  readonly events: number;
  /** Coalescer runs: each served one or more events or file changes. */
  readonly coalescedRuns: number;
  /** Resyncs asked for by a stream (re)connection or the periodic timer. */
  readonly resyncs: number;
  /** Event-stream connections that answered 200. */
  readonly streamConnections: number;
  /** Duration of the last fetch, good or bad, in ms; null before the first. */
  readonly lastDurationMs: number | null;
}

const stopped = (): PollResult => ({ ok: false, error: new SwitchyardError('SWY_UPSTREAM_UNAVAILABLE', 'the Marathon poller is stopped') });

export class MarathonPoller {
  private phase: 'new' | 'started' | 'stopped' = 'new';
  private timer: NodeJS.Timeout | null = null;
  private stream: MarathonEventStream | null = null;
  /** Events per type since the coalescer last started a run, for the debug log of the fetch that serves them. */
  private pendingEvents = new Map<string, number>();
  private readonly count = { fetches: 0, failures: 0, unchanged: 0, events: 0, resyncs: 0, lastDurationMs: null as number | null };
  private accepted: Accepted | null = null;
  /** Unchanged apps keep their objects from one fetch to the next (the load balancer skips them by identity). */
  private readonly apps = new MarathonAppMemo();
  /**
   * Each app normalized (or found in the memo by its text) as it is parsed, whatever the source: the raw apps of a
   * large body are never all kept (see prepareMarathonApps).
   */
  private readonly prepareApps: ItemHookFor = (bytes) => prepareMarathonApps(bytes, this.apps);
  private readonly flight: SingleFlight<PollResult>;
  private readonly coalescer: Coalescer;
  private readonly diagnostics: DiagnosticLog;
  private readonly resyncMs: number;

  constructor(private readonly options: MarathonPollerOptions) {
    this.resyncMs = options.resyncMs ?? 300_000;
    if (!(this.resyncMs > 0) || !Number.isFinite(this.resyncMs)) throw new RangeError(`resyncMs must be a positive number, got ${this.resyncMs}`);
    this.diagnostics = new DiagnosticLog(options.logger);
    // After every fetch, good or bad: an idle cluster is still resynced, and a failed fetch is retried at the latest then.
    this.flight = new SingleFlight({ run: (reason) => this.fetchOnce(reason), onIdle: () => this.armResync() });
    this.coalescer = new Coalescer({
      minIntervalMs: options.minIntervalMs,
      maxDelayMs: options.maxDelayMs,
      // Not options.now: that is the wall clock for the store, the coalescer keeps its own time.
      ...(options.settleMs === undefined ? {} : { settleMs: options.settleMs }),
      run: async (reasons) => {
        await this.refresh(this.describe(reasons));
      },
      onError: (error) => options.logger.error({ err: String(error) }, 'coalesced marathon refresh failed'),
    });
  }

  get counters(): MarathonPollerCounters {
    return {
      ...this.count,
      coalescedRuns: this.coalescer.runs,
      streamConnections: this.stream?.counters.connections ?? 0,
    };
  }

  /** Fetches now, follows the event stream (when configured) and the source's changes. A stopped poller stays stopped. */
  start(): void {
    if (this.phase === 'stopped') throw new Error('MarathonPoller was stopped; create a new one');
    if (this.phase === 'started') return;
    this.phase = 'started';
    const { events, logger, source } = this.options;
    source.watch?.(() => this.coalescer.trigger('source changed'));
    void this.refresh('start');
    if (events !== null && events !== undefined) {
      this.stream = new MarathonEventStream({
        ...events,
        logger,
        onEvent: (eventType) => this.onEvent(eventType),
        // Events may have been missed while disconnected (or before the first connection): fetch everything again.
        onConnected: (base) => void this.resync(`event stream connected to ${base}`),
      });
      this.stream.start();
    }
  }

  /** Stops the stream, pending coalesced runs, the resync timer and the source's watcher; waits for a fetch in progress. */
  async stop(): Promise<void> {
    if (this.phase === 'stopped') return;
    this.phase = 'stopped';
    this.clearTimer();
    await this.stream?.stop();
    await this.coalescer.stop();
    await this.flight.idle();
    this.clearTimer();
    await this.options.source.close?.();
  }

  /**
   * Fetches now, or once right after the fetch in progress (shared by everyone who asks meanwhile); settles when a
   * fetch that started after the call is done. Never rejects: a failure is in the result and in the store.
   */
  refresh(reason: string): Promise<PollResult> {
    return this.flight.request(reason);
  }

  private resync(reason: string): Promise<PollResult> {
    this.count.resyncs += 1;
    return this.refresh(reason);
  }

  private onEvent(eventType: string): void {
    this.count.events += 1;
    this.pendingEvents.set(eventType, (this.pendingEvents.get(eventType) ?? 0) + 1);
    this.coalescer.trigger(eventType);
  }

  /** The reasons of a coalesced run with event counts, e.g. "status_update_event x50, source changed". */
  private describe(reasons: readonly string[]): string {
    const counts = this.pendingEvents;
    this.pendingEvents = new Map();
    return reasons.map((reason) => (counts.has(reason) ? `${reason} x${counts.get(reason) ?? 0}` : reason)).join(', ');
  }

  private armResync(): void {
    if (this.phase !== 'started') return;
    this.clearTimer();
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.resync('periodic resync');
    }, this.resyncMs);
    // The servers keep the process alive; a pending resync alone should not.
    this.timer.unref();
  }

  private clearTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private async fetchOnce(reason: string): Promise<PollResult> {
    // A follow-up queued before stop() must not fetch, nor record a failure, once the poller is stopping.
    if (this.phase === 'stopped') return stopped();
    const { store, logger, source } = this.options;
    const now = this.options.now ?? Date.now;
    const started = now();
    this.count.fetches += 1;
    // Only the first load is watched: later fetches replace apps that are already being served.
    const progress = store.snapshot.marathon === null ? new Progress(logger, 'loading the Marathon apps') : null;
    // The body this fetch brought or decompressed, released once parsed and kept (see Body.release).
    let fresh: Body | null = null;
    try {
      progress?.at('fetching');
      const accepted = this.accepted;
      const fetched = await source.fetch(accepted?.known ?? null, this.prepareApps);
      if (!fetched.unchanged) fresh = fetched.body;
      let doc: unknown;
      // What to keep once the apps are accepted: what is kept already, when it is the same body.
      let keep: KnownBody | Body;
      if (fetched.unchanged) {
        if (accepted === null) throw new Error(`${fetched.from}: a source answered unchanged with nothing accepted`);
        // The same apps: nothing rebuilt (the pipeline still checks its files), unless a task host resolves elsewhere.
        if (await stillServed(accepted, async (names) => new Map(Object.entries(await this.resolveHosts(names))))) {
          store.confirm('marathon', now());
          this.count.unchanged += 1;
          this.count.lastDurationMs = now() - started;
          logger.debug({ from: fetched.from, reason }, 'marathon apps unchanged');
          return { ok: true, generation: store.snapshot.generation };
        }
        fresh = await accepted.known.body();
        doc = await parseBody(fresh, fetched.from, this.prepareApps);
        keep = accepted.known;
      } else {
        doc = fetched.doc;
        keep = fetched.body;
      }
      progress?.at('checking the apps');
      // In slices: 10k apps take about a second, and the DNS server (in the same process) answers in between.
      const normalized = await runInSlices(normalizeMarathonSteps(doc, this.apps));
      if (!normalized.ok) {
        throw new SwitchyardError('SWY_UPSTREAM_MALFORMED', `apps from ${fetched.from} have the wrong shape: ${normalized.message}`);
      }
      progress?.at('resolving host names', { apps: normalized.state.apps.length });
      const state: MarathonState = { ...normalized.state, hosts: await this.resolveHosts(marathonHostnames(normalized.state)) };
      // Forgotten first: until the new body is kept, nothing may be confirmed as the apps now served.
      this.accepted = null;
      const snapshot = store.acceptMarathon(state, normalized.diagnostics, now());
      this.count.lastDurationMs = now() - started;
      progress?.done({ apps: state.apps.length });
      this.diagnostics.report(normalized.diagnostics);
      logger.debug(
        { generation: snapshot.generation, from: fetched.from, reason, ms: now() - started, apps: state.apps.length, hosts: Object.keys(state.hosts).length },
        'marathon apps loaded',
      );
      // Kept last, after the state is served and logged: compressing the body takes its share of a second.
      this.accepted = await acceptedOf(keep, accepted?.known ?? null, new Map(Object.entries(state.hosts)), logger);
      return { ok: true, generation: snapshot.generation };
    } catch (error) {
      progress?.done();
      this.count.failures += 1;
      this.count.lastDurationMs = now() - started;
      const failure = asSwitchyardError(error, 'SWY_UPSTREAM_MALFORMED', 'marathon fetch failed');
      // A kept body that cannot be decompressed is no use again: the next fetch starts from nothing.
      if (this.accepted?.known.damaged === true) this.accepted = null;
      store.reject(failure, now(), 'marathon');
      const loaded = store.snapshot.marathon !== null;
      logger.error(
        { code: failure.code, err: failure.message, cause: failure.cause instanceof Error ? failure.cause.message : undefined, reason },
        loaded ? 'marathon fetch failed; still serving the last good apps' : 'marathon fetch failed; no apps loaded yet',
      );
      return { ok: false, error: failure };
    } finally {
      fresh?.release();
    }
  }

  /** Each distinct host once, all at the same time; a lookup that throws counts as no address, not a failed fetch. */
  private async resolveHosts(names: readonly string[]): Promise<MarathonState['hosts']> {
    const resolve = this.options.resolveHost ?? systemResolveHost;
    const entries = await Promise.all(
      names.map(async (name): Promise<readonly [string, readonly string[]]> => {
        try {
          return [name, [...(await resolve(name))]];
        } catch (error) {
          this.options.logger.warn({ host: name, err: error instanceof Error ? error.message : String(error) }, 'marathon task host did not resolve; its tasks get no address');
          return [name, []];
        }
      }),
    );
    return hostTable(entries);
  }
}
