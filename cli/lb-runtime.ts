// Wires the load-balancer half from the validated config: view options, templates (watched), the pipeline, and the
// store's Marathon half feeding it. I/O: reads and watches the templates folder, writes the HAProxy config.
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import type { Logger } from 'pino';
import { loadTemplateSet } from '../lb/template-files.js';
import type { TemplateSet } from '../lb/templates.js';
import { LbPipeline, type ApplyOutcome } from '../lb/pipeline.js';
import { CommandReloader, ManagedReloader, type Reloader } from '../lb/reloaders.js';
import { ManagedHaproxy } from '../lb/haproxy.js';
import { RuntimeApi } from '../lb/runtime-api.js';
import type { ViewOptions } from '../lb/view-model.js';
import type { MarathonState, Snapshot } from '../state-poller/model.js';
import type { SnapshotStore } from '../state-poller/store.js';
import { DiagnosticLog } from '../state-poller/diagnostic-log.js';
import { runInSlices } from '../state-poller/slices.js';
import type { Config } from './config.js';

export function resolvePath(baseDir: string, path: string): string {
  return isAbsolute(path) ? path : resolve(baseDir, path);
}

/**
 * The HAProxy executable to run: as configured, except that a bare `haproxy` missing from PATH is looked for where
 * Debian installs it (/usr/sbin is not on an ordinary user's PATH). I/O: checks files.
 */
export function haproxyBinary(configured: string, env: Readonly<Record<string, string | undefined>> = process.env): string {
  if (configured.includes('/')) return configured;
  const dirs = (env.PATH ?? '').split(':').filter((d) => d !== '');
  if (dirs.some((d) => existsSync(join(d, configured)))) return configured;
  for (const dir of ['/usr/sbin', '/usr/local/sbin']) if (existsSync(join(dir, configured))) return join(dir, configured);
  return configured;
}

/** Paths HAProxy reads (certificates, the admin socket) are resolved against the config file's folder, as files are. */
function haproxyPath(baseDir: string, path: string): string {
  return path.startsWith('unix@') || path.startsWith('ipv4@') || path.startsWith('ipv6@') ? path : resolvePath(baseDir, path);
}

/** The admin socket path as HAProxy and switchyard both use it. */
export function statsSocketOf(config: Config, baseDir: string): string {
  return haproxyPath(baseDir, config.lb.statsSocket);
}

/** The templates folder of a validated config, resolved against the config file's folder; null for the defaults. */
export function templatesDirOf(config: Config, baseDir: string): string | null {
  return config.lb.templatesDir === null ? null : resolvePath(baseDir, config.lb.templatesDir);
}

/** The view options of a validated config; relative paths are resolved against `baseDir`, the config file's folder. */
export function viewOptions(config: Config, configFile: string, baseDir: string): ViewOptions {
  const lb = config.lb;
  return {
    groups: lb.groups,
    healthCheck: lb.healthCheck,
    strictMode: lb.strictMode,
    frameworkName: lb.frameworkName,
    minServPortIpPerTask: lb.minServPortIpPerTask,
    maxServPortIpPerTask: lb.maxServPortIpPerTask,
    haproxyMap: lb.haproxyMap,
    haproxyDir: dirname(configFile),
    bindHttpHttps: lb.bindHttpHttps,
    groupHttpsByVhost: lb.groupHttpsByVhost,
    bindAddress: lb.bindAddress,
    httpPort: lb.httpPort,
    httpsPort: lb.httpsPort,
    appIdPort: lb.appIdPort,
    statsPort: lb.statsPort,
    sslCerts: lb.sslCerts.map((c) => haproxyPath(baseDir, c)),
    statsSocket: statsSocketOf(config, baseDir),
    serverStateFile: join(dirname(configFile), 'haproxy.state'),
    globalDefaultOptions: lb.globalDefaultOptions,
    maxconn: lb.maxconn,
    syslogSocket: lb.syslogSocket,
    hardStopAfterSeconds: lb.haproxy.hardStopAfterSeconds,
  };
}

export interface LbRuntime {
  readonly pipeline: LbPipeline;
  /** The HAProxy switchyard runs (lb.haproxy.manage), or null. */
  readonly haproxy: ManagedHaproxy | null;
  /** Re-reads the templates folder and regenerates (SIGHUP). */
  reloadTemplates(reason: string): Promise<ApplyOutcome>;
  close(): Promise<void>;
}

/** Loads templates, logging each bad override; the previous good set (or the defaults) stays in use. */
async function templatesFor(dir: string | null, previous: TemplateSet | null, logger: Logger): Promise<TemplateSet> {
  const { set, problems, overridden } = await loadTemplateSet(dir, previous);
  for (const p of problems) (p.fatal ? logger.error.bind(logger) : logger.warn.bind(logger))({ code: 'SWY_LB_TEMPLATE_INVALID', file: p.file }, p.reason);
  if (overridden.length > 0) logger.info({ templatesDir: dir, overridden }, 'templates loaded');
  return set;
}

export async function startLbRuntime(config: Config, baseDir: string, store: SnapshotStore, logger: Logger): Promise<LbRuntime> {
  const configFile = resolvePath(baseDir, config.lb.configFile);
  const templatesDir = templatesDirOf(config, baseDir);
  let templates = await templatesFor(templatesDir, null, logger);
  const lb = config.lb;
  const view = viewOptions(config, configFile, baseDir);
  const binary = haproxyBinary(lb.haproxy.binary);
  // A managed HAProxy: switchyard runs it, starts it on the first valid config and reloads it through its master.
  const managed = lb.haproxy.manage
    ? new ManagedHaproxy({
        binary,
        configFile,
        masterSocket: lb.haproxy.masterSocket === null ? join(dirname(configFile), 'haproxy-master.sock') : resolvePath(baseDir, lb.haproxy.masterSocket),
        adminSocket: view.statsSocket,
        stateFile: view.serverStateFile,
        logger,
        reloadTimeoutMs: lb.reloadTimeoutSeconds * 1000,
      })
    : null;
  const reloader: Reloader | null = managed !== null ? new ManagedReloader(managed) : lb.reloadCommand === null ? null : new CommandReloader(lb.reloadCommand, lb.reloadTimeoutSeconds * 1000);
  const diagnosticLog = new DiagnosticLog(logger);
  const pipeline = new LbPipeline(
    {
      view,
      configFile,
      haproxyBinary: binary,
      skipValidation: config.lb.skipValidation,
      reloader,
      // Only when switchyard knows what HAProxy runs (it reloads it), and only on its admin socket.
      runtime: lb.runtimeApi && reloader !== null ? new RuntimeApi(view.statsSocket) : null,
      minReloadIntervalMs: config.lb.minReloadIntervalMs,
      removalDeadlineMs: config.lb.haproxy.hardStopAfterSeconds * 1000,
      logger,
      reportDiagnostics: (diagnostics) => diagnosticLog.report(diagnostics),
      run: runInSlices,
    },
    templates,
  );

  const reloadTemplates = async (reason: string): Promise<ApplyOutcome> => {
    templates = await templatesFor(templatesDir, templates, logger);
    return pipeline.setTemplates(templates, reason);
  };

  let watcher: FSWatcher | null = null;
  if (templatesDir !== null) {
    watcher = watch(templatesDir, { ignoreInitial: true, awaitWriteFinish: { stabilityThreshold: 150, pollInterval: 50 } });
    watcher.on('all', (_event, path) => void reloadTemplates(`template ${path} changed`));
  }

  // Only a new Marathon half matters here; a Mesos-only update hands over the same object and is skipped.
  let last: MarathonState | null = null;
  const unsubscribe = store.subscribe((snapshot: Snapshot) => {
    if (snapshot.marathon === null || snapshot.marathon === last) return;
    last = snapshot.marathon;
    void pipeline.update(snapshot.marathon, `Marathon state ${snapshot.generation}`);
  });
  // The same apps again (a resync, a reconnection): nothing to rebuild, but marathon-lb compares the config with
  // the file on disk on every resync, so a file edited or removed behind its back is put right. So does this run
  // when it writes files for reloads; with the runtime API and HAProxy already on this view it finds nothing to do
  // (lb/pipeline.ts), and a file edited by hand is replaced at the next change.
  const unconfirm = store.subscribeConfirmed((source) => {
    if (source === 'marathon' && last !== null) void pipeline.update(last, 'Marathon apps unchanged: checking the files on disk');
  });

  return {
    pipeline,
    haproxy: managed,
    reloadTemplates,
    close: async () => {
      unsubscribe();
      unconfirm();
      await watcher?.close();
      await pipeline.close();
      await managed?.stop();
    },
  };
}
