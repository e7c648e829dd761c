// `switchyard --dry`: fetch the Marathon apps once, generate the HAProxy config and print it to stdout (marathon-lb's
// --dry). I/O: one fetch, template files, stdout; diagnostics and errors go to the logger (stderr).
import type { Logger } from 'pino';
import { loadTemplateSet } from '../lb/template-files.js';
import { renderConfig } from '../lb/render.js';
import { buildView } from '../lb/view-model.js';
import { MarathonPoller } from '../state-poller/marathon-poller.js';
import { SnapshotStore } from '../state-poller/store.js';
import { configHalves, type Config } from './config.js';
import { marathonSource } from './gateway.js';
import { resolvePath, templatesDirOf, viewOptions } from './lb-runtime.js';

/** Returns the exit code: 0 with the config on stdout, 1 when there is nothing to generate from. */
export async function runDry(config: Config, options: { baseDir: string; logger: Logger }): Promise<number> {
  const { baseDir, logger } = options;
  if (!configHalves(config).lb) {
    logger.error({ code: 'SWY_CONFIG_INVALID' }, '--dry generates the HAProxy config: the configuration must name marathon or marathonFile');
    return 1;
  }
  const store = new SnapshotStore();
  const poller = new MarathonPoller({ source: marathonSource(config, baseDir), store, logger, events: null, minIntervalMs: 0, maxDelayMs: 0 });
  const result = await poller.refresh('--dry');
  await poller.stop();
  const marathon = store.snapshot.marathon;
  if (!result.ok || marathon === null) return 1; // the poller has logged why
  const { set, problems } = await loadTemplateSet(templatesDirOf(config, baseDir));
  for (const p of problems) logger.error({ code: 'SWY_LB_TEMPLATE_INVALID', file: p.file }, p.reason);
  const view = buildView(marathon, viewOptions(config, resolvePath(baseDir, config.lb.configFile), baseDir), new Map());
  for (const d of view.diagnostics) logger.warn({ code: d.code, subject: d.subject }, d.message);
  process.stdout.write(renderConfig(view, set).config);
  return 0;
}
