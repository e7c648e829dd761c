// The load-balancer pipeline, consul-template style: build the view → render → compare with what runs → a change of
// servers only goes through HAProxy's runtime API (and the file is rewritten to match); anything else is validated
// with `haproxy -c`, renamed into place and reloaded. One run at a time; requests during a run get one follow-up.
// I/O shell around the pure core (buildView through its ViewCache, renderConfig, planRuntime).
import type { Diagnostic, MarathonState } from '../state-poller/model.js';
import type { ApplyOutcome, PipelineOptions, PipelineStatus } from './pipeline-types.js';
import { DiagnosticLog } from '../state-poller/diagnostic-log.js';
import { describeChange, summarizeChange } from './change-summary.js';
import { culpritsOf } from './culprits.js';
import { install, sameOnDisk, type InstallOptions } from './installer.js';
import { renderConfig, renderServerLines, type RenderedConfig } from './render.js';
import { applyPlan } from './runtime-apply.js';
import { PendingRemovals } from './pending-removals.js';
import { planRuntime } from './runtime-plan.js';
import type { TemplateSet } from './templates.js';
import type { HealthCache } from './tasks.js';
import { ViewCache } from './view-cache.js';
import { serviceFingerprint } from './view-model.js';
import type { HaproxyView } from './view-types.js';

export { mapPaths } from './installer.js';

export type { ApplyOutcome, PipelineOptions, PipelineStatus } from './pipeline-types.js';

import type { Stamp } from './pipeline-types.js';

/** How many times one run may leave out the apps HAProxy blamed and try again. */
const MAX_EXCLUSION_PASSES = 5;
const RETRY_INITIAL_MS = 1000;
const RETRY_MAX_MS = 30_000;

type Exclusions = Map<string, { fingerprint: string; reason: string }>;

export class LbPipeline {
  private state: MarathonState | null = null;
  private healthCache: HealthCache = new Map();
  private lastView: HaproxyView | null = null;
  /** What HAProxy runs now, when switchyard knows it (after a reload or a runtime update it made). */
  private running: { view: HaproxyView; templates: TemplateSet } | null = null;
  private reasons: string[] = [];
  private inFlight: Promise<ApplyOutcome> | null = null;
  private queued: Promise<ApplyOutcome> | null = null;
  private readonly diagnosticLog: DiagnosticLog;
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
  private closed = false;

  constructor(
    private readonly options: PipelineOptions,
    private templates: TemplateSet,
  ) {
    this.diagnosticLog = new DiagnosticLog(options.logger);
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

  /** Waits for the run in progress and the one queued behind it. */
  async idle(): Promise<void> {
    await this.queued;
    await this.inFlight;
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
    this.queued = next;
    return next;
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

  private build(state: MarathonState, exclude: Exclusions): HaproxyView {
    return this.views.build(state, exclude, this.healthCache);
  }

  private async runOnce(reasons: readonly string[]): Promise<ApplyOutcome> {
    const state = this.state;
    if (state === null) return { kind: 'waiting' };
    this.counters.runs += 1;
    await this.removals.retry();
    const exclude: Exclusions = new Map(this.excluded);
    let view = this.build(state, exclude);
    // Rendered only when needed, and after a runtime update is applied: it is the slowest step and off the path.
    let rendered: RenderedConfig | null = null;
    const text = (): RenderedConfig => (rendered ??= renderConfig(view, this.templates));
    const opts = this.installOptions();
    let why = 'the first config';
    try {
      const running = this.options.reloader !== null ? this.running : null;
      if (running !== null && running.templates === this.templates && this.options.runtime !== null) {
        const plan = planRuntime(running.view, view, (s) => renderServerLines(s, this.templates));
        // Same view and templates as what runs and was written: the text would be the same, so nothing is rendered.
        // (switchyard owns lb.configFile; an edit by hand is replaced at the next change.)
        if (plan.kind === 'none' && !this.fileBehind) return this.unchanged(view, exclude, reasons);
        if (plan.kind === 'none') {
          const verdict = await install(opts, text());
          if (verdict.ok) {
            this.fileBehind = false;
            return this.written(view, exclude, reasons, false, true, 'the file caught up with the runtime updates');
          }
          why = 'the file with the runtime updates did not validate';
        }
        if (plan.kind === 'servers') {
          const applied = await applyPlan(this.options.runtime, plan);
          if (applied.ok) {
            this.running = { view, templates: this.templates };
            this.counters.runtimeUpdates += 1;
            this.removals.add(applied.pending);
            // HAProxy routes the new servers now. Rendering and checking the file takes far longer (a large config:
            // hundreds of ms), so a run already queued (the next event) goes first, and one run then writes the
            // file for the latest state.
            if (this.queued !== null) {
              this.fileBehind = true;
              this.settle(view, exclude);
              this.options.logger.info({ reasons, backends: plan.backends, how: `${applied.commands} runtime commands in ${applied.ms} ms` }, 'load balancer servers updated; the file follows');
              return { kind: 'written', change: summarizeChange(this.lastView, view), reloaded: false, runtime: true };
            }
            const verdict = await install(opts, text());
            if (verdict.ok) {
              this.fileBehind = false;
              return this.written(view, exclude, reasons, false, true, `${applied.commands} runtime commands in ${applied.ms} ms`);
            }
            // HAProxy took the servers but the file does not validate: reload below so that the two agree again.
            this.options.logger.warn({ code: verdict.code, err: verdict.message }, 'the config with the new servers did not validate; reloading instead');
            why = 'the file with the new servers did not validate';
          } else {
            this.counters.runtimeFailures += 1;
            this.options.logger.warn({ code: 'SWY_HAPROXY_RUNTIME_FAILED', err: applied.message, backends: plan.backends }, 'runtime update failed; reloading instead');
            why = `the runtime update failed: ${applied.message}`;
          }
        } else if (plan.kind === 'structural') why = plan.why;
      } else if (running !== null) {
        why = running.templates !== this.templates ? 'the templates changed' : 'the runtime API is off';
      }

      // The structural path. Each pass HAProxy rejects because of particular apps leaves those apps out and tries
      // again; passes are bounded by the number of distinct bad apps, not by the number of apps.
      for (let pass = 0; ; pass++) {
        if (await sameOnDisk(opts, text())) {
          if (this.options.reloader === null || this.running !== null) return this.unchanged(view, exclude, reasons);
          break; // the file is right but HAProxy has not been told (a managed HAProxy not started yet)
        }
        const verdict = await install(opts, text());
        if (verdict.ok) break;
        const backends = new Set(view.services.map((s) => s.backend));
        const culprits = verdict.code === 'SWY_HAPROXY_CONFIG_INVALID' && pass < MAX_EXCLUSION_PASSES ? culpritsOf(verdict.output, verdict.checked, text().lineOwners, backends) : null;
        // A complaint about most apps at once is a shared template's fault, not theirs: nothing is excluded then.
        if (culprits === null || culprits.size > Math.max(1, Math.floor(view.services.length / 2))) return this.fail(verdict.code, verdict.message, verdict.output);
        for (const backend of culprits) {
          const service = view.services.find((s) => s.backend === backend);
          if (service !== undefined) exclude.set(backend, { fingerprint: serviceFingerprint(service), reason: verdict.message });
        }
        this.options.logger.warn({ code: verdict.code, backends: [...culprits], err: verdict.message }, 'HAProxy rejected the lines of some apps; generating again without them');
        view = this.build(state, exclude);
        rendered = null;
      }
    } catch (error) {
      return this.fail('SWY_LB_WRITE_FAILED', `cannot write ${this.options.configFile}: ${(error as Error).message}`, '');
    }
    return this.reload(view, exclude, reasons, why);
  }

  private async reload(view: HaproxyView, exclude: Exclusions, reasons: readonly string[], why: string): Promise<ApplyOutcome> {
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
    this.running = { view, templates: this.templates };
    this.removals.clear(); // the new worker was built from the file, which does not have them
    this.counters.reloads += 1;
    const outcome = this.written(view, exclude, reasons, true, false, `reloaded in ${result.ms} ms because ${why}`);
    this.lastReload = { ...(this.lastChange ?? { reasons, change: '', at: Date.now() }), why };
    return outcome;
  }

  private unchanged(view: HaproxyView, exclude: Exclusions, reasons: readonly string[]): ApplyOutcome {
    this.fileBehind = false; // every caller has just seen the file match this view (or it never fell behind)
    this.settle(view, exclude);
    this.lastView = view;
    // HAProxy runs what is on disk, and that is this view's text (templates that changed but render the same included).
    if (this.running !== null) this.running = { view, templates: this.templates };
    this.options.logger.debug({ reasons }, 'load balancer config unchanged');
    return { kind: 'unchanged' };
  }

  private written(view: HaproxyView, exclude: Exclusions, reasons: readonly string[], reloaded: boolean, runtime: boolean, how: string): ApplyOutcome {
    this.fileBehind = false; // the file was installed just before
    this.settle(view, exclude);
    const change = summarizeChange(this.lastView, view);
    this.lastView = view;
    this.counters.writes += 1;
    this.lastChange = { reasons, change: describeChange(change), at: Date.now() };
    this.lastError = null;
    this.options.logger.info({ reasons, change: this.lastChange.change, backends: view.services.length, reloaded, runtime, how }, 'load balancer config written');
    return { kind: 'written', change, reloaded, runtime };
  }

  /** The generation that now matches the files on disk: its health verdicts, diagnostics and exclusions are kept. */
  private settle(view: HaproxyView, exclude: Exclusions): void {
    this.healthCache = view.healthCache;
    this.diagnostics = view.diagnostics;
    this.diagnosticLog.report(view.diagnostics);
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
