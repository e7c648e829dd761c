// The load-balancer pipeline, consul-template style: build the view → compare with what runs → a change of servers
// only goes through HAProxy's runtime API, and the file is rewritten to match off the routing path (FileFollower);
// anything else is validated with `haproxy -c`, renamed into place and reloaded. One run at a time; requests during
// a run get one follow-up. I/O shell around the pure core (buildView through its ViewCache, renderConfig, planRuntime).
import type { Diagnostic, MarathonState } from '../state-poller/model.js';
import type { ApplyOutcome, PipelineOptions, PipelineStatus, Stamp } from './pipeline-types.js';
import { describeChange, summarizeChange } from './change-summary.js';
import { install, type InstallOptions } from './installer.js';
import { installPasses, type Exclusions } from './install-passes.js';
import { renderConfigSteps, renderServerLines } from './render.js';
import { applyPlan } from './runtime-apply.js';
import { PendingRemovals } from './pending-removals.js';
import { planRuntime } from './runtime-plan.js';
import type { TemplateSet } from './templates.js';
import type { HealthCache } from './tasks.js';
import { FileFollower } from './file-follower.js';
import { ViewCache } from './view-cache.js';
import type { HaproxyView } from './view-types.js';

export type { ApplyOutcome, PipelineOptions, PipelineStatus } from './pipeline-types.js';

const RETRY_INITIAL_MS = 1000;
const RETRY_MAX_MS = 30_000;

export class LbPipeline {
  private state: MarathonState | null = null;
  private healthCache: HealthCache = new Map();
  private lastView: HaproxyView | null = null;
  /** What HAProxy runs now, when switchyard knows it (after a reload or a runtime update it made). */
  private running: { view: HaproxyView; templates: TemplateSet } | null = null;
  private reasons: string[] = [];
  private inFlight: Promise<ApplyOutcome> | null = null;
  private queued: Promise<ApplyOutcome> | null = null;
  private counters = { runs: 0, writes: 0, reloads: 0, runtimeUpdates: 0, runtimeFailures: 0, failures: 0 };
  private lastError: PipelineStatus['lastError'] = null;
  private lastChange: Stamp | null = null;
  private lastReload: PipelineStatus['lastReload'] = null;
  private lastReloadAt = Number.NEGATIVE_INFINITY;
  private diagnostics: readonly Diagnostic[] = [];
  private excluded: Exclusions = new Map();
  private readonly removals: PendingRemovals;
  /** Unchanged apps keep their services and views from one run to the next. */
  private readonly views: ViewCache;
  private retryTimer: NodeJS.Timeout | null = null;
  private retryMs = RETRY_INITIAL_MS;
  /** A runtime update was applied but the file not yet rewritten to match (done off the routing path). */
  private fileBehind = false;
  /** Writes the file for what HAProxy runs after runtime updates, while the next runs route the next events. */
  private readonly follower = new FileFollower(() => this.followFile());
  /** Why the next run must reload: the file for HAProxy's runtime servers did not validate, so the two differ. */
  private mustReload: string | null = null;
  private closed = false;

  constructor(
    private readonly options: PipelineOptions,
    private templates: TemplateSet,
  ) {
    this.views = new ViewCache(options.view);
    this.removals = new PendingRemovals(options.runtime, options.removalDeadlineMs, () => void this.request('servers waiting to be removed'));
  }

  /** A new Marathon state; resolves when a run that saw it has finished. */
  update(state: MarathonState, reason: string): Promise<ApplyOutcome> {
    this.state = state;
    return this.request(reason);
  }

  /** New templates (a templates folder changed, SIGHUP). */
  setTemplates(templates: TemplateSet, reason: string): Promise<ApplyOutcome> {
    this.templates = templates;
    return this.request(reason);
  }

  status(): PipelineStatus {
    return {
      ...this.counters,
      lastError: this.lastError,
      lastChange: this.lastChange,
      lastReload: this.lastReload,
      pendingRemovals: this.removals.list(),
      diagnostics: this.diagnostics,
      backends: this.lastView?.services.length ?? 0,
    };
  }

  /** Waits for the run in progress, the one queued behind it and the file writes they asked for. */
  async idle(): Promise<void> {
    while (this.queued !== null || this.inFlight !== null || this.follower.busy) {
      await this.queued;
      await this.inFlight;
      await this.follower.idle();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.removals.close();
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    await this.idle();
  }

  request(reason: string): Promise<ApplyOutcome> {
    this.reasons.push(reason);
    if (this.queued !== null) return this.queued;
    // A run never rejects (runOnce turns errors into outcomes), but a queue must not wedge if one ever did.
    const before = (this.inFlight ?? Promise.resolve(null)).catch(() => null);
    const next = before.then(() => {
      this.queued = null;
      const reasons = [...new Set(this.reasons.splice(0))];
      const run = this.runOnce(reasons).catch((error: unknown) => this.fail('SWY_LB_GENERATION_FAILED', `generating the config failed: ${String(error)}`, ''));
      this.inFlight = run;
      return run.finally(() => {
        if (this.inFlight === run) this.inFlight = null;
      });
    });
    // The next run starts when this one has routed; whoever asked for this one also waits for the file to follow.
    const followed = next.then(async (outcome) => {
      await this.follower.idle();
      return outcome;
    });
    this.queued = followed;
    return followed;
  }

  private fail(code: string, message: string, output: string): ApplyOutcome {
    this.counters.failures += 1;
    this.lastError = { code, message, output, at: Date.now() };
    this.options.logger.error({ code, err: message }, 'load balancer config not applied');
    return { kind: 'failed', code, message, output };
  }

  private installOptions(): InstallOptions {
    const { configFile, haproxyBinary, skipValidation } = this.options;
    return { configFile, haproxyBinary, skipValidation, mapMode: this.options.view.haproxyMap };
  }

  /** In slices (the view of 10k apps takes most of a second): the DNS server answers in between. */
  private build(state: MarathonState, exclude: Exclusions): Promise<HaproxyView> {
    return this.options.run(this.views.buildSteps(state, exclude, this.healthCache));
  }

  private async runOnce(reasons: readonly string[]): Promise<ApplyOutcome> {
    const state = this.state;
    if (state === null) return { kind: 'waiting' };
    this.counters.runs += 1;
    await this.removals.retry();
    const exclude: Exclusions = new Map(this.excluded);
    // The templates of this run, from its first step to its last: new ones may come while it waits for slices, the
    // check or the reload, and they get a run of their own (setTemplates asks for it).
    const templates = this.templates;
    let view = await this.build(state, exclude);
    const opts = this.installOptions();
    let why = 'the first config';
    try {
      const running = this.options.reloader !== null ? this.running : null;
      if (this.mustReload !== null) {
        why = this.mustReload;
      } else if (running !== null && running.templates === templates && this.options.runtime !== null) {
        const plan = planRuntime(running.view, view, (s) => renderServerLines(s, templates));
        // Same view and templates as what runs: nothing to do here (the file follows on its own if it is behind).
        // (switchyard owns lb.configFile; an edit by hand is replaced at the next change.)
        if (plan.kind === 'none') {
          if (this.fileBehind) void this.follower.request(); // a write that failed is tried again
          return this.unchanged(view, exclude, reasons, false, templates);
        }
        if (plan.kind === 'servers') {
          const applied = await applyPlan(this.options.runtime, plan);
          if (applied.ok) {
            this.running = { view, templates };
            this.counters.runtimeUpdates += 1;
            this.removals.add(applied.pending);
            // HAProxy routes the new servers now. Rendering and checking the file takes far longer (a large config:
            // hundreds of ms), so it is done beside the next runs, which route the next events meanwhile.
            this.fileBehind = true;
            void this.follower.request();
            return this.written(view, exclude, reasons, false, true, `${applied.commands} runtime commands in ${applied.ms} ms`);
          }
          this.counters.runtimeFailures += 1;
          this.options.logger.warn({ code: 'SWY_HAPROXY_RUNTIME_FAILED', err: applied.message, backends: plan.backends }, 'runtime update failed; reloading instead');
          why = `the runtime update failed: ${applied.message}`;
        } else why = plan.why;
      } else if (running !== null) {
        why = running.templates !== templates ? 'the templates changed' : 'the runtime API is off';
      }

      // This run writes the file itself: a write that follows runtime updates must not race it.
      await this.follower.cancel();
      const passes = await installPasses(
        { options: opts, render: (v) => this.options.run(renderConfigSteps(v, templates)), rebuild: (ex) => this.build(state, ex), warn: (d, m) => this.options.logger.warn(d, m) },
        view,
        exclude,
      );
      if (passes.kind === 'rejected') return this.fail(passes.code, passes.message, passes.output);
      view = passes.view;
      // The file is right, but HAProxy may not run it: a managed HAProxy not started yet, or runtime servers it lacks.
      if (passes.kind === 'same' && this.mustReload === null && (this.options.reloader === null || this.running !== null)) return this.unchanged(view, exclude, reasons, true, templates);
    } catch (error) {
      return this.fail('SWY_LB_WRITE_FAILED', `cannot write ${this.options.configFile}: ${(error as Error).message}`, '');
    }
    return this.reload(view, exclude, reasons, why, templates);
  }

  private async reload(view: HaproxyView, exclude: Exclusions, reasons: readonly string[], why: string, templates: TemplateSet): Promise<ApplyOutcome> {
    const reloader = this.options.reloader;
    if (reloader === null) return this.written(view, exclude, reasons, false, false, 'written');
    const wait = this.lastReloadAt + this.options.minReloadIntervalMs - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    this.running = null; // until the reload is confirmed, what HAProxy runs is not known
    const result = await reloader.reload();
    this.lastReloadAt = Date.now();
    if (!result.ok) {
      this.settle(view, exclude);
      this.lastView = view;
      // HAProxy may not be running at all (a port still taken at start): try again, backing off, until it is.
      this.scheduleRetry();
      return this.fail('SWY_LB_RELOAD_FAILED', `the config was written but the reload failed: ${result.message}`, result.output);
    }
    this.retryMs = RETRY_INITIAL_MS;
    this.running = { view, templates };
    this.mustReload = null;
    this.removals.clear(); // the new worker was built from the file, which does not have them
    this.counters.reloads += 1;
    const outcome = this.written(view, exclude, reasons, true, false, `reloaded in ${result.ms} ms because ${why}`);
    this.lastReload = { ...(this.lastChange ?? { reasons, change: '', at: Date.now() }), why };
    return outcome;
  }

  /** `fileMatches`: the caller has just seen the file match this view (else the file follower may still be at work). */
  private unchanged(view: HaproxyView, exclude: Exclusions, reasons: readonly string[], fileMatches: boolean, templates: TemplateSet): ApplyOutcome {
    if (fileMatches) this.fileBehind = false;
    this.settle(view, exclude);
    this.lastView = view;
    // HAProxy runs what is on disk, and that is this view's text (templates that changed but render the same included).
    if (this.running !== null) this.running = { view, templates };
    this.options.logger.debug({ reasons }, 'load balancer config unchanged');
    return { kind: 'unchanged' };
  }

  /** A change applied: the file was installed just before (reloaded or not), or, for a runtime update, follows. */
  private written(view: HaproxyView, exclude: Exclusions, reasons: readonly string[], reloaded: boolean, runtime: boolean, how: string): ApplyOutcome {
    if (!runtime) {
      this.fileBehind = false;
      this.counters.writes += 1;
    }
    this.settle(view, exclude);
    const change = summarizeChange(this.lastView, view);
    this.lastView = view;
    this.lastChange = { reasons, change: describeChange(change), at: Date.now() };
    this.lastError = null;
    const message = runtime ? 'load balancer servers updated; the file follows' : 'load balancer config written';
    this.options.logger.info({ reasons, change: this.lastChange.change, backends: view.services.length, reloaded, runtime, how }, message);
    return { kind: 'written', change, reloaded, runtime };
  }

  /**
   * Writes the file for what HAProxy runs now, after runtime updates; again if HAProxy moved on during the write. A
   * file that does not validate means HAProxy and the file would disagree: the next run reloads instead.
   */
  private async followFile(): Promise<void> {
    for (;;) {
      const target = this.running;
      if (target === null || !this.fileBehind) return;
      const opts = this.installOptions();
      let verdict: Awaited<ReturnType<typeof install>>;
      try {
        const text = await this.options.run(renderConfigSteps(target.view, target.templates));
        verdict = await install(opts, text);
      } catch (error) {
        // Not silent: the failure is counted and shown; the next runtime update tries again, as does a reload.
        this.fail('SWY_LB_WRITE_FAILED', `cannot write ${this.options.configFile}: ${(error as Error).message}`, '');
        return;
      }
      if (this.running !== target) continue; // a newer runtime update (or an equal view) came meanwhile
      if (verdict.ok) {
        this.fileBehind = false;
        this.counters.writes += 1;
        this.options.logger.info({ backends: target.view.services.length, reloaded: false, runtime: true, how: 'the file follows the runtime updates' }, 'load balancer config written');
        return;
      }
      this.options.logger.warn({ code: verdict.code, err: verdict.message }, 'the config with the new servers did not validate; reloading instead');
      this.mustReload = `the file with the new servers did not validate: ${verdict.message}`;
      void this.request('the file for the runtime servers did not validate');
      return;
    }
  }

  /** The generation that now matches the files on disk: its health verdicts, diagnostics and exclusions are kept. */
  private settle(view: HaproxyView, exclude: Exclusions): void {
    this.healthCache = view.healthCache;
    this.diagnostics = view.diagnostics;
    this.options.reportDiagnostics(view.diagnostics);
    // Only exclusions that still matched something are kept, so a fixed or removed app is tried again.
    this.excluded = new Map(view.excluded.flatMap((b) => {
      const entry = exclude.get(b);
      return entry === undefined ? [] : [[b, entry] as const];
    }));
  }

  private scheduleRetry(): void {
    if (this.closed || this.retryTimer !== null) return;
    const delay = this.retryMs;
    this.retryMs = Math.min(RETRY_MAX_MS, this.retryMs * 2);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.request('retry after a failed reload');
    }, delay);
    this.retryTimer.unref();
  }
}
