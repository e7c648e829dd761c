// The load-balancer pipeline, consul-template style: build the view → render → compare with the files on disk →
// `haproxy -c` a candidate in the same folder → atomic rename → reload. One run at a time; requests arriving during a
// run are served by one follow-up run. I/O shell around the pure core (buildView, renderConfig).
import { randomBytes } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Logger } from 'pino';
import type { Diagnostic, MarathonState } from '../state-poller/model.js';
import { DiagnosticLog } from '../state-poller/diagnostic-log.js';
import { describeChange, summarizeChange, type ChangeSummary } from './change-summary.js';
import { checkConfig } from './checker.js';
import { runReloadCommand } from './reload-command.js';
import { renderConfig, type RenderedConfig } from './render.js';
import type { TemplateSet } from './templates.js';
import type { HealthCache } from './tasks.js';
import { buildView, serviceFingerprint, type ViewOptions } from './view-model.js';
import { culpritsOf } from './culprits.js';
import type { HaproxyView } from './view-types.js';
import { writeConfigFile } from './writer.js';

export interface PipelineOptions {
  readonly view: ViewOptions;
  readonly configFile: string;
  readonly haproxyBinary: string;
  readonly skipValidation: boolean;
  readonly reloadCommand: readonly string[] | null;
  readonly reloadTimeoutMs: number;
  readonly logger: Logger;
}

export type ApplyOutcome =
  | { readonly kind: 'waiting' }
  | { readonly kind: 'unchanged' }
  | { readonly kind: 'written'; readonly change: ChangeSummary; readonly reloaded: boolean }
  | { readonly kind: 'failed'; readonly code: string; readonly message: string; readonly output: string };

export interface PipelineStatus {
  readonly runs: number;
  readonly writes: number;
  readonly reloads: number;
  readonly failures: number;
  /** The last failure (a rejected config keeps HAProxy's own message here); null after a success. */
  readonly lastError: { readonly code: string; readonly message: string; readonly output: string; readonly at: number } | null;
  readonly lastChange: { readonly reasons: readonly string[]; readonly change: string; readonly at: number } | null;
  /** What the last generation left out, and why. */
  readonly diagnostics: readonly Diagnostic[];
  readonly backends: number;
}

export function mapPaths(configFile: string): { domain: string; app: string } {
  const dir = dirname(configFile);
  return { domain: join(dir, 'domain2backend.map'), app: join(dir, 'app2backend.map') };
}

async function readText(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

function hiddenTemp(path: string, tag: string): string {
  return join(dirname(path), `.${basename(path)}.${tag}-${process.pid}-${randomBytes(6).toString('hex')}`);
}

type InstallVerdict = { ok: true } | { ok: false; code: string; message: string; output: string; checked: string };

/** How many times one run may leave out the apps HAProxy blamed and try again. */
const MAX_EXCLUSION_PASSES = 5;

export class LbPipeline {
  private state: MarathonState | null = null;
  private healthCache: HealthCache = new Map();
  private lastView: HaproxyView | null = null;
  private reasons: string[] = [];
  private running: Promise<ApplyOutcome> | null = null;
  private queued: Promise<ApplyOutcome> | null = null;
  private readonly diagnosticLog: DiagnosticLog;
  private counters = { runs: 0, writes: 0, reloads: 0, failures: 0 };
  private lastError: PipelineStatus['lastError'] = null;
  private lastChange: PipelineStatus['lastChange'] = null;
  private diagnostics: readonly Diagnostic[] = [];
  private excluded: ReadonlyMap<string, { fingerprint: string; reason: string }> = new Map();

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

  /** Generates without writing: what `--dry` prints. */
  preview(state: MarathonState): RenderedConfig & { view: HaproxyView } {
    const view = buildView(state, this.options.view, this.healthCache);
    return { ...renderConfig(view, this.templates), view };
  }

  status(): PipelineStatus {
    return { ...this.counters, lastError: this.lastError, lastChange: this.lastChange, diagnostics: this.diagnostics, backends: this.lastView?.services.length ?? 0 };
  }

  /** Waits for the run in progress and the one queued behind it. */
  async idle(): Promise<void> {
    await this.queued;
    await this.running;
  }

  request(reason: string): Promise<ApplyOutcome> {
    this.reasons.push(reason);
    if (this.queued !== null) return this.queued;
    // A run never rejects (runOnce turns errors into outcomes), but a queue must not wedge if one ever did.
    const before = (this.running ?? Promise.resolve(null)).catch(() => null);
    const next = before.then(() => {
      this.queued = null;
      const reasons = [...new Set(this.reasons.splice(0))];
      const run = this.runOnce(reasons).catch((error: unknown) => this.fail('SWY_LB_GENERATION_FAILED', `generating the config failed: ${String(error)}`, ''));
      this.running = run;
      return run.finally(() => {
        if (this.running === run) this.running = null;
      });
    });
    this.queued = next;
    return next;
  }

  private fail(code: string, message: string, output: string): ApplyOutcome {
    this.counters.failures += 1;
    this.lastError = { code, message, output, at: Date.now() };
    this.options.logger.error({ code, err: message }, 'load balancer config not applied; HAProxy keeps the last good config');
    return { kind: 'failed', code, message, output };
  }

  private async runOnce(reasons: readonly string[]): Promise<ApplyOutcome> {
    const state = this.state;
    if (state === null) return { kind: 'waiting' };
    this.counters.runs += 1;
    const { logger, configFile } = this.options;
    const maps = mapPaths(configFile);
    const mapMode = this.options.view.haproxyMap;
    const exclude = new Map(this.excluded);
    const cache = this.healthCache;
    let view: HaproxyView;
    // Each pass that HAProxy rejects because of particular apps leaves those apps out and tries again; the number of
    // passes is bounded by the number of distinct bad apps, not by the number of apps (marathon-lb's clean-up).
    for (let pass = 0; ; pass++) {
      view = buildView(state, { ...this.options.view, exclude }, cache);
      const rendered = renderConfig(view, this.templates);
      try {
        const same =
          (await readText(configFile)) === rendered.config &&
          (!mapMode || ((await readText(maps.domain)) === rendered.domainMap && (await readText(maps.app)) === rendered.appMap));
        if (same) {
          this.settle(view, exclude);
          this.lastView = view;
          logger.debug({ reasons }, 'load balancer config unchanged');
          return { kind: 'unchanged' };
        }
        const verdict = await this.install(rendered, maps, mapMode);
        if (verdict.ok) break;
        const backends = new Set(view.services.map((s) => s.backend));
        const culprits = verdict.code === 'SWY_HAPROXY_CONFIG_INVALID' && pass < MAX_EXCLUSION_PASSES ? culpritsOf(verdict.output, verdict.checked, rendered.lineOwners, backends) : null;
        // A complaint about most apps at once is a shared template's fault, not theirs: nothing is excluded then.
        if (culprits === null || culprits.size > Math.max(1, Math.floor(view.services.length / 2))) return this.fail(verdict.code, verdict.message, verdict.output);
        for (const backend of culprits) {
          const service = view.services.find((s) => s.backend === backend);
          if (service !== undefined) exclude.set(backend, { fingerprint: serviceFingerprint(service), reason: verdict.message });
        }
        logger.warn({ code: verdict.code, backends: [...culprits], err: verdict.message }, 'HAProxy rejected the lines of some apps; generating again without them');
      } catch (error) {
        return this.fail('SWY_LB_WRITE_FAILED', `cannot write ${configFile}: ${(error as Error).message}`, '');
      }
    }
    this.settle(view, exclude);
    const change = summarizeChange(this.lastView, view);
    this.lastView = view;
    this.counters.writes += 1;
    this.lastChange = { reasons, change: describeChange(change), at: Date.now() };
    let reloaded = false;
    if (this.options.reloadCommand !== null) {
      const reload = await runReloadCommand(this.options.reloadCommand, this.options.reloadTimeoutMs);
      if (!reload.ok) return this.fail('SWY_LB_RELOAD_FAILED', `the config was written but the reload failed: ${reload.message}`, reload.output);
      this.counters.reloads += 1;
      reloaded = true;
    }
    this.lastError = null;
    logger.info({ reasons, change: this.lastChange.change, backends: view.services.length, reloaded }, 'load balancer config written');
    return { kind: 'written', change, reloaded };
  }

  /** The generation that now matches the files on disk: its health verdicts, diagnostics and exclusions are kept. */
  private settle(view: HaproxyView, exclude: ReadonlyMap<string, { fingerprint: string; reason: string }>): void {
    this.healthCache = view.healthCache;
    this.diagnostics = view.diagnostics;
    this.diagnosticLog.report(view.diagnostics);
    // Only exclusions that still matched something are kept, so a fixed or removed app is tried again.
    this.excluded = new Map(view.excluded.flatMap((b) => {
      const entry = exclude.get(b);
      return entry === undefined ? [] : [[b, entry] as const];
    }));
  }

  /** Validates (maps included, under temporary names) and installs; the verdict names the checked file. */
  private async install(rendered: RenderedConfig, maps: { domain: string; app: string }, mapMode: boolean): Promise<InstallVerdict> {
    const { configFile } = this.options;
    const temps: string[] = [];
    const checkPath = hiddenTemp(configFile, 'check');
    try {
      const tempDomain = hiddenTemp(maps.domain, 'new');
      const tempApp = hiddenTemp(maps.app, 'new');
      if (mapMode) {
        await writeFile(tempDomain, rendered.domainMap);
        temps.push(tempDomain);
        await writeFile(tempApp, rendered.appMap);
        temps.push(tempApp);
      }
      if (!this.options.skipValidation) {
        // The candidate names the new maps by their temporary names, so HAProxy checks the files it will load.
        const text = mapMode ? rendered.config.replaceAll(maps.domain, tempDomain).replaceAll(maps.app, tempApp) : rendered.config;
        temps.push(checkPath);
        await writeFile(checkPath, text);
        const verdict = await checkConfig(checkPath, { binary: this.options.haproxyBinary });
        if (!verdict.ok) return { ...verdict, checked: checkPath };
      }
      if (mapMode) {
        await rename(tempDomain, maps.domain);
        await rename(tempApp, maps.app);
      }
      await writeConfigFile(configFile, rendered.config, async () => ({ ok: true }));
      return { ok: true };
    } finally {
      await Promise.all(temps.map((t) => rm(t, { force: true })));
    }
  }
}
