// The load-balancer pipeline, consul-template style: build the view → render → compare with what runs → a change of
// servers only goes through HAProxy's runtime API (and the file is rewritten to match); anything else is validated
// with `haproxy -c`, renamed into place and reloaded. One run at a time; requests during a run get one follow-up.
// I/O shell around the pure core (buildView, renderConfig, planRuntime).
import type { Logger } from 'pino';
import type { Diagnostic, MarathonState } from '../state-poller/model.js';
import { DiagnosticLog } from '../state-poller/diagnostic-log.js';
import { describeChange, summarizeChange, type ChangeSummary } from './change-summary.js';
import { culpritsOf } from './culprits.js';
import { install, sameOnDisk, type InstallOptions } from './installer.js';
import type { Reloader } from './reloaders.js';
import { renderConfig, renderServerLines, type RenderedConfig } from './render.js';
import { applyPlan, removalCommands, type RuntimeClient } from './runtime-apply.js';
import { planRuntime } from './runtime-plan.js';
import type { TemplateSet } from './templates.js';
import type { HealthCache } from './tasks.js';
import { buildView, serviceFingerprint, type ViewOptions } from './view-model.js';
import type { HaproxyView } from './view-types.js';

export { mapPaths } from './installer.js';

export interface PipelineOptions {
  readonly view: ViewOptions;
  readonly configFile: string;
  readonly haproxyBinary: string;
  readonly skipValidation: boolean;
  readonly logger: Logger;
  /** How a written config reaches HAProxy; null: switchyard only writes the files. */
  readonly reloader: Reloader | null;
  /** The admin socket, for changes of servers only; used only together with a reloader (HAProxy's state is known). */
  readonly runtime: RuntimeClient | null;
  readonly minReloadIntervalMs: number;
  /** After this long, servers that still have connections are cut loose and deleted (hard-stop-after). */
  readonly removalDeadlineMs: number;
}

export type ApplyOutcome =
  | { readonly kind: 'waiting' }
  | { readonly kind: 'unchanged' }
  | { readonly kind: 'written'; readonly change: ChangeSummary; readonly reloaded: boolean; readonly runtime: boolean }
  | { readonly kind: 'failed'; readonly code: string; readonly message: string; readonly output: string };

type Stamp = { readonly reasons: readonly string[]; readonly change: string; readonly at: number };

export interface PipelineStatus {
  readonly runs: number;
  readonly writes: number;
  readonly reloads: number;
  /** Changes of servers applied through the runtime API, without a reload. */
  readonly runtimeUpdates: number;
  readonly runtimeFailures: number;
  readonly failures: number;
  /** The last failure (a rejected config keeps HAProxy's own message here); null after a success. */
  readonly lastError: { readonly code: string; readonly message: string; readonly output: string; readonly at: number } | null;
  readonly lastChange: Stamp | null;
  /** The last reload and why it was needed. */
  readonly lastReload: (Stamp & { readonly why: string }) | null;
  /** Servers taken out of rotation that HAProxy still holds because connections are open on them. */
  readonly pendingRemovals: readonly string[];
  /** What the last generation left out, and why. */
  readonly diagnostics: readonly Diagnostic[];
  readonly backends: number;
}

/** How many times one run may leave out the apps HAProxy blamed and try again. */
const MAX_EXCLUSION_PASSES = 5;
const REMOVAL_RETRY_MS = 1000;

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
  private pending: { backend: string; server: string; since: number }[] = [];
  private removalTimer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private readonly options: PipelineOptions,
    private templates: TemplateSet,
  ) {
    this.diagnosticLog = new DiagnosticLog(options.logger);
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
      pendingRemovals: this.pending.map((p) => `${p.backend}/${p.server}`),
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
    if (this.removalTimer !== null) clearTimeout(this.removalTimer);
    this.removalTimer = null;
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
    return buildView(state, { ...this.options.view, exclude }, this.healthCache);
  }

  private async runOnce(reasons: readonly string[]): Promise<ApplyOutcome> {
    const state = this.state;
    if (state === null) return { kind: 'waiting' };
    this.counters.runs += 1;
    await this.retryRemovals();
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
        if (plan.kind === 'none') return this.unchanged(view, exclude, reasons);
        if (plan.kind === 'servers') {
          const applied = await applyPlan(this.options.runtime, plan);
          if (applied.ok) {
            this.running = { view, templates: this.templates };
            this.counters.runtimeUpdates += 1;
            this.addPending(applied.pending);
            const verdict = await install(opts, text());
            if (verdict.ok) return this.written(view, exclude, reasons, false, true, `${applied.commands} runtime commands in ${applied.ms} ms`);
            // HAProxy took the servers but the file does not validate: reload below so that the two agree again.
            this.options.logger.warn({ code: verdict.code, err: verdict.message }, 'the config with the new servers did not validate; reloading instead');
            why = 'the file with the new servers did not validate';
          } else {
            this.counters.runtimeFailures += 1;
            this.options.logger.warn({ code: 'SWY_HAPROXY_RUNTIME_FAILED', err: applied.message, backends: plan.backends }, 'runtime update failed; reloading instead');
            why = `the runtime update failed: ${applied.message}`;
          }
        } else why = plan.why;
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
      return this.fail('SWY_LB_RELOAD_FAILED', `the config was written but the reload failed: ${result.message}`, result.output);
    }
    this.running = { view, templates: this.templates };
    this.pending = []; // the new worker was built from the file, which does not have them
    this.counters.reloads += 1;
    const outcome = this.written(view, exclude, reasons, true, false, `reloaded in ${result.ms} ms because ${why}`);
    this.lastReload = { ...(this.lastChange ?? { reasons, change: '', at: Date.now() }), why };
    return outcome;
  }

  private unchanged(view: HaproxyView, exclude: Exclusions, reasons: readonly string[]): ApplyOutcome {
    this.settle(view, exclude);
    this.lastView = view;
    // HAProxy runs what is on disk, and that is this view's text (templates that changed but render the same included).
    if (this.running !== null) this.running = { view, templates: this.templates };
    this.options.logger.debug({ reasons }, 'load balancer config unchanged');
    return { kind: 'unchanged' };
  }

  private written(view: HaproxyView, exclude: Exclusions, reasons: readonly string[], reloaded: boolean, runtime: boolean, how: string): ApplyOutcome {
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

  private addPending(list: readonly { backend: string; server: string }[]): void {
    const now = Date.now();
    for (const p of list) this.pending.push({ ...p, since: now });
    if (this.pending.length > 0) this.scheduleRemovals();
  }

  private scheduleRemovals(): void {
    if (this.closed || this.removalTimer !== null) return;
    this.removalTimer = setTimeout(() => {
      this.removalTimer = null;
      void this.request('servers waiting to be removed');
    }, REMOVAL_RETRY_MS);
    this.removalTimer.unref();
  }

  /** Deletes servers that had connections; past the deadline, their sessions are shut first (as hard-stop-after would). */
  private async retryRemovals(): Promise<void> {
    const runtime = this.options.runtime;
    if (this.pending.length === 0 || runtime === null) return;
    const now = Date.now();
    const list = this.pending;
    const answers = await runtime.run(list.flatMap((p) => removalCommands([p], now - p.since >= this.options.removalDeadlineMs))).catch(() => null);
    if (answers === null) return this.scheduleRemovals();
    let i = 0;
    this.pending = list.filter((p) => {
      const force = now - p.since >= this.options.removalDeadlineMs;
      if (force) i++; // the shutdown sessions answer
      const answer = answers[i++] ?? '';
      return !(answer === 'Server deleted.' || /No such server/i.test(answer));
    });
    if (this.pending.length > 0) this.scheduleRemovals();
  }
}
