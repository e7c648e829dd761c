// Benchmark child process. `time <mesos.json> <marathon.json>`: the bodies through every rebuild stage, timed in CPU
// and wall time (cold, then warm), then the same bodies again (an unchanged poll). `rss …`: one pass, keeping what a
// running switchyard keeps, then peak RSS. Prints one JSON line. I/O: reads the bodies and the shipped templates.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildRecords } from '../../dns/records.js';
import { TableBuilder } from '../../dns/table-builder.js';
import { renderConfig, renderServerLines } from '../../lb/render.js';
import { planRuntime } from '../../lb/runtime-plan.js';
import { loadTemplateSet } from '../../lb/template-files.js';
import { buildView } from '../../lb/view-model.js';
import type { HaproxyView } from '../../lb/view-types.js';
import { normalizeMarathon } from '../../state-poller/marathon-normalize.js';
import { normalizeMesos, parseMesosState } from '../../state-poller/normalize.js';
import { MLB_DEFAULTS } from '../helpers/lb-generate.js';
import { RECORD_OPTIONS, zoneOf } from '../helpers/zone.js';

export interface StageTime {
  readonly cpuMs: number;
  readonly wallMs: number;
}

export interface ScaleRun {
  readonly sizes: { readonly mesosJsonMB: number; readonly marathonJsonMB: number; readonly names: number; readonly records: number; readonly answerBytesMB: number; readonly configMB: number };
  /** The first pass, with the JIT still cold (a process's first state). */
  readonly cold: Record<string, StageTime>;
  readonly coldRebuild: StageTime;
  /** A later full rebuild (every state after the first): what the goal is about. */
  readonly stages: Record<string, StageTime>;
  readonly rebuild: StageTime;
  readonly unchanged: Record<string, StageTime>;
  readonly unchangedTotal: StageTime;
}

function timed<T>(into: Record<string, StageTime>, stage: string, work: () => T): T {
  const cpu = process.cpuUsage();
  const wall = performance.now();
  const result = work();
  const used = process.cpuUsage(cpu);
  into[stage] = { cpuMs: (used.user + used.system) / 1000, wallMs: performance.now() - wall };
  return result;
}

const sum = (times: Record<string, StageTime>, keys: readonly string[]): StageTime => ({
  cpuMs: keys.reduce((s, k) => s + (times[k]?.cpuMs ?? 0), 0),
  wallMs: keys.reduce((s, k) => s + (times[k]?.wallMs ?? 0), 0),
});


/** One pass from upstream text to DNS answers and HAProxy view, as a poll of each source does it. */
function poll(times: Record<string, StageTime>, mesosText: string, marathonText: string, render: boolean, templates: Parameters<typeof renderConfig>[1]) {
  const mesosDoc = timed(times, 'JSON.parse (both bodies)', () => [JSON.parse(mesosText) as unknown, JSON.parse(marathonText) as unknown] as const);
  const mesos = timed(times, 'normalize Mesos', () => {
    const parsed = parseMesosState(mesosDoc[0]);
    if (!parsed.ok) throw new Error(parsed.message);
    return normalizeMesos(parsed.doc, new Map()).state;
  });
  const marathon = timed(times, 'normalize Marathon', () => {
    const normalized = normalizeMarathon(mesosDoc[1]);
    if (!normalized.ok) throw new Error(normalized.message);
    return normalized.state;
  });
  const records = timed(times, 'DNS records', () => buildRecords(mesos, { ...RECORD_OPTIONS, masters: [] }));
  const table = timed(times, 'DNS encoded answers', () => new TableBuilder(zoneOf(records)).step(Number.POSITIVE_INFINITY));
  const view = timed(times, 'HAProxy view', () => buildView(marathon, MLB_DEFAULTS, new Map()));
  const config = render ? timed(times, 'HAProxy render', () => renderConfig(view, templates)) : null;
  return { records, table, view, config };
}

async function main(): Promise<void> {
  const [mode, mesosFile = '', marathonFile = ''] = process.argv.slice(2);
  const templatesDir = fileURLToPath(new URL('../../../../templates/', import.meta.url));
  const { set: templates } = await loadTemplateSet(null, null, templatesDir);
  // Read as a poll receives them: one string per body.
  const mesosText = readFileSync(mesosFile, 'utf8');
  const marathonText = readFileSync(marathonFile, 'utf8');
  if (mode === 'rss') {
    const kept = poll({}, mesosText, marathonText, true, templates);
    const rss = process.resourceUsage().maxRSS / 1024;
    process.stdout.write(`${JSON.stringify({ peakRssMB: rss, names: kept.table?.names.size ?? 0 })}\n`);
    return;
  }

  const cold: Record<string, StageTime> = {};
  poll(cold, mesosText, marathonText, true, templates);
  const stages: Record<string, StageTime> = {};
  const first = poll(stages, mesosText, marathonText, true, templates);
  const rebuildStages = ['normalize Mesos', 'normalize Marathon', 'DNS records', 'DNS encoded answers', 'HAProxy view', 'HAProxy render'];

  // The same bodies again. What runs today: both pollers parse and normalize, the gateway builds records and a
  // zone (a new Mesos object is never the last one), the pipeline builds the view and finds no runtime change.
  const unchanged: Record<string, StageTime> = {};
  const second = poll(unchanged, mesosText, marathonText, false, templates);
  const plan = timed(unchanged, 'HAProxy compare', () => planRuntime(first.view as HaproxyView, second.view, (s) => renderServerLines(s, templates)));
  if (plan.kind !== 'none') throw new Error(`an unchanged state planned ${plan.kind}`);
  // What a poll could cost if an identical body were recognised before parsing (a fresh copy, as a new fetch is).
  const [mesosAgain, marathonAgain] = [`${mesosText.slice(0, 1)}${mesosText.slice(1)}`, `${marathonText.slice(0, 1)}${marathonText.slice(1)}`];
  timed(unchanged, '(identical-body check alone)', () => mesosAgain === mesosText && marathonAgain === marathonText);

  const result: ScaleRun = {
    sizes: {
      mesosJsonMB: mesosText.length / 1e6,
      marathonJsonMB: marathonText.length / 1e6,
      names: first.table?.names.size ?? 0,
      records: [...first.records.a.values(), ...first.records.aaaa.values()].reduce((n, v) => n + v.length, 0) + [...first.records.srv.values()].reduce((n, v) => n + v.length, 0),
      answerBytesMB: (first.table?.bytes.length ?? 0) / 1e6,
      configMB: (first.config?.config.length ?? 0) / 1e6,
    },
    cold,
    coldRebuild: sum(cold, rebuildStages),
    stages,
    rebuild: sum(stages, rebuildStages),
    unchanged,
    unchangedTotal: sum(unchanged, Object.keys(unchanged).filter((k) => !k.startsWith('('))),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

await main();
