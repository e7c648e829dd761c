// Benchmark child process. `time <mesos.json> <marathon.json>`: the bodies through every rebuild stage, timed in CPU
// and wall time (cold, then warm). `poll <master> <marathon>`: the real pollers over loopback HTTP, a first load and
// then unchanged polls, timed. `rss <master> <marathon>`: one load through the pollers and every stage, keeping what
// a running switchyard keeps, then peak RSS. Prints one JSON line. I/O: reads the bodies, templates, HTTP.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { buildRecords } from '../../dns/records.js';
import { RecordsFeed } from '../../dns/records-feed.js';
import { TableSwap } from '../../dns/table-swap.js';
import { MarathonPoller } from '../../state-poller/marathon-poller.js';
import { MarathonSource } from '../../state-poller/marathon-source.js';
import { MesosSource } from '../../state-poller/mesos-source.js';
import { MesosPoller } from '../../state-poller/poller.js';
import { SnapshotStore } from '../../state-poller/store.js';
import { runInSlices } from '../../state-poller/slices.js';
import { splitHostPort } from '../../state-poller/upid.js';
import type { HostPort, MarathonState, MesosState, Snapshot } from '../../state-poller/model.js';
import { TableBuilder } from '../../dns/table-builder.js';
import { install } from '../../lb/installer.js';
import { renderConfig } from '../../lb/render.js';
import { loadTemplateSet } from '../../lb/template-files.js';
import { buildView } from '../../lb/view-model.js';
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
}

/** `poll` mode: CPU of the first load and of unchanged polls (median of UNCHANGED_POLLS), per poller. */
export interface PollRun {
  readonly firstLoad: Record<string, StageTime>;
  /** The longest the event loop (so the DNS server) went unserved during each part of a first load, in ms. */
  readonly longestPauseMs: Record<string, number>;
  readonly unchanged: Record<string, StageTime>;
  readonly unchangedTotal: StageTime;
  /** A Mesos poll of the same state in another body: parsed, normalized, compared, and nothing rebuilt. */
  readonly sameStatePoll: StageTime;
}

const UNCHANGED_POLLS = 5;
/** What the gateway builds: /v1/enumerate's per-task records are built only when asked for. */
const GATEWAY_RECORDS = { ...RECORD_OPTIONS, masters: [], enumerate: false };

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
  return build(times, mesos, marathon, render, templates);
}

/** From normalized states to encoded answers, HAProxy view and (with `render`) config. */
function build(times: Record<string, StageTime>, mesos: MesosState, marathon: MarathonState, render: boolean, templates: Parameters<typeof renderConfig>[1]) {
  const zone = zoneOf(timed(times, 'DNS records', () => buildRecords(mesos, GATEWAY_RECORDS)));
  // As the gateway's TableSwap does: once the table is built the zone reads its records there, and the RecordSet goes.
  const table = timed(times, 'DNS encoded answers', () => {
    const built = new TableBuilder(zone).step(Number.POSITIVE_INFINITY);
    if (built !== null) zone.adoptTable(built);
    return built;
  });
  const view = timed(times, 'HAProxy view', () => buildView(marathon, MLB_DEFAULTS, new Map()));
  const config = render ? timed(times, 'HAProxy render', () => renderConfig(view, templates)) : null;
  return { records: zone.records, table, view, config };
}

const logger = pino({ level: 'silent' });

/** A MesosPoller and a MarathonPoller as the gateway makes them, on the benchmark's loopback server. */
function pollers(master: string, marathonUrl: string) {
  const store = new SnapshotStore();
  const mesos = new MesosPoller({
    source: new MesosSource({ masters: [splitHostPort(master) as HostPort], timeoutMs: 60_000, https: false, basicAuth: null }),
    store,
    refreshMs: 3_600_000,
    logger,
    resolveHost: async () => [],
  });
  const marathon = new MarathonPoller({
    source: new MarathonSource({ urls: [marathonUrl], timeoutMs: 60_000, basicAuth: null }),
    store,
    logger,
    resolveHost: async () => [],
    events: null,
    resyncMs: 3_600_000,
    minIntervalMs: 0,
    maxDelayMs: 0,
  });
  return { store, mesos, marathon };
}

async function timedAsync(into: Record<string, StageTime>, stage: string, work: () => Promise<unknown>): Promise<void> {
  const cpu = process.cpuUsage();
  const wall = performance.now();
  const result = await work();
  const used = process.cpuUsage(cpu);
  if (typeof result === 'object' && result !== null && 'ok' in result && result.ok !== true) {
    const error = 'error' in result && result.error instanceof Error ? result.error.message : JSON.stringify(result);
    throw new Error(`${stage} failed: ${error}`);
  }
  into[stage] = { cpuMs: (used.user + used.system) / 1000, wallMs: performance.now() - wall };
}

const median = (values: readonly StageTime[]): StageTime => {
  const sorted = [...values].sort((a, b) => a.cpuMs - b.cpuMs);
  return sorted[Math.floor(sorted.length / 2)] as StageTime;
};

/** Runs `work` while a 1 ms timer watches the event loop; records the longest gap between its turns. */
async function watchLoop(into: Record<string, number>, part: string, work: () => Promise<unknown>): Promise<void> {
  let last = performance.now();
  let longest = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
  }, 1);
  try {
    await work();
  } finally {
    clearInterval(timer);
    into[part] = Math.max(longest, performance.now() - last);
  }
}

async function pollMode(master: string, marathonUrl: string): Promise<PollRun> {
  const { store, mesos, marathon } = pollers(master, marathonUrl);
  const firstLoad: Record<string, StageTime> = {};
  const longestPauseMs: Record<string, number> = {};
  await watchLoop(longestPauseMs, 'Mesos poll (fetch, JSON.parse, normalize)', () => timedAsync(firstLoad, 'Mesos poll', () => mesos.pollNow('first')));
  // What the gateway does next with it: records in slices (RecordsFeed), then the answer table in slices (TableSwap).
  await watchLoop(longestPauseMs, 'DNS records and answer table', async () => {
    const swap = new TableSwap();
    const feed = new RecordsFeed<Snapshot>({ options: GATEWAY_RECORDS, install: (records) => swap.offer(zoneOf(records)), onError: (error) => { throw error; }, run: runInSlices });
    feed.offer(store.snapshot);
    await feed.idle();
    await swap.settled();
    if (swap.current.table === null) throw new Error('no answer table was built');
  });
  await watchLoop(longestPauseMs, 'Marathon fetch (fetch, JSON.parse, normalize)', () => timedAsync(firstLoad, 'Marathon fetch', () => marathon.refresh('first')));
  const generation = store.snapshot.generation;
  const runs: Record<string, StageTime[]> = { 'Mesos poll': [], 'Marathon fetch': [] };
  for (let i = 0; i < UNCHANGED_POLLS; i++) {
    const one: Record<string, StageTime> = {};
    await timedAsync(one, 'Mesos poll', () => mesos.pollNow('again'));
    await timedAsync(one, 'Marathon fetch', () => marathon.refresh('again'));
    for (const [k, v] of Object.entries(one)) runs[k]?.push(v);
  }
  // Each repeat must have been recognised: no new generation, every poll counted as unchanged.
  if (store.snapshot.generation !== generation || mesos.counters.unchanged !== UNCHANGED_POLLS || marathon.counters.unchanged !== UNCHANGED_POLLS) {
    throw new Error(`unchanged polls were not recognised: generation ${generation} → ${store.snapshot.generation}, ${mesos.counters.unchanged} / ${marathon.counters.unchanged} unchanged`);
  }
  // The benchmark's server answers with the same state in another body from now on (scale-bench.ts's Upstreams).
  const switched = await fetch(`http://${master}/bench/same-state`, { method: 'POST' });
  if (switched.status !== 204) throw new Error(`the benchmark's server did not switch to the same-state body: ${switched.status}`);
  const same: Record<string, StageTime> = {};
  await timedAsync(same, 'Mesos poll', () => mesos.pollNow('same state, new body'));
  const sameStatePoll = same['Mesos poll'];
  if (sameStatePoll === undefined || store.snapshot.generation !== generation || mesos.counters.sameState !== 1) {
    throw new Error(`the same state in a new body was not recognised: generation ${generation} → ${store.snapshot.generation}, ${mesos.counters.sameState} same-state polls`);
  }
  await Promise.all([mesos.stop(), marathon.stop()]);
  const unchanged = Object.fromEntries(Object.entries(runs).map(([k, v]) => [k, median(v)]));
  return { firstLoad, longestPauseMs, unchanged, unchangedTotal: sum(unchanged, Object.keys(unchanged)), sameStatePoll };
}

/** RSS, JS heap (used and reserved) and memory outside the heap (the bodies' and the answer table's buffers), in MB. */
export interface RssStep {
  readonly rssMB: number;
  readonly peakMB: number;
  readonly heapMB: number;
  readonly heapTotalMB: number;
  readonly externalMB: number;
}

/** The peak RSS so far in MB (10^6 bytes, as every figure here): maxRSS is in KiB. */
const peakRssMB = (): number => (process.resourceUsage().maxRSS * 1024) / 1e6;

async function rssMode(master: string, marathonUrl: string, templates: Parameters<typeof renderConfig>[1]): Promise<void> {
  const { store, mesos, marathon } = pollers(master, marathonUrl);
  // RSS now and at its peak so far after each step, to show where the peak comes from.
  const trace: Record<string, RssStep> = {};
  const mark = (step: string): void => {
    const m = process.memoryUsage();
    trace[step] = { rssMB: m.rss / 1e6, peakMB: peakRssMB(), heapMB: m.heapUsed / 1e6, heapTotalMB: m.heapTotal / 1e6, externalMB: m.external / 1e6 };
  };
  await mesos.pollNow('first');
  mark('Mesos poll');
  await marathon.refresh('first');
  mark('Marathon fetch');
  const { mesos: mesosState, marathon: marathonState } = store.snapshot;
  if (mesosState === null || marathonState === null) throw new Error('the pollers loaded nothing');
  const kept = build({}, mesosState, marathonState, true, templates);
  mark('records, answers, view, config');
  // Installed as the load balancer does, then again (found the same on disk), in a temp folder: without `haproxy -c`,
  // whose memory is its own process's.
  const dir = mkdtempSync(join(tmpdir(), 'swy-scale-'));
  try {
    if (kept.config === null) throw new Error('no config rendered');
    const options = { configFile: join(dir, 'haproxy.cfg'), haproxyBinary: 'haproxy', skipValidation: true, mapMode: false };
    const first = await install(options, kept.config);
    const again = await install(options, kept.config);
    if (!first.ok || first.same || !again.ok || !again.same) throw new Error(`the config was not installed as expected: ${JSON.stringify([first, again])}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  mark('config written, and found unchanged');
  const rss = peakRssMB();
  process.stdout.write(`${JSON.stringify({ peakRssMB: rss, names: kept.table?.size ?? 0, trace })}\n`);
  await Promise.all([mesos.stop(), marathon.stop()]);
}

async function main(): Promise<void> {
  const [mode, first = '', second = ''] = process.argv.slice(2);
  const templatesDir = fileURLToPath(new URL('../../../../templates/', import.meta.url));
  const { set: templates } = await loadTemplateSet(null, null, templatesDir);
  if (mode === 'rss') return rssMode(first, second, templates);
  if (mode === 'poll') {
    process.stdout.write(`${JSON.stringify(await pollMode(first, second))}\n`);
    return;
  }
  // Read as a poll receives them: one string per body.
  const mesosText = readFileSync(first, 'utf8');
  const marathonText = readFileSync(second, 'utf8');
  const cold: Record<string, StageTime> = {};
  poll(cold, mesosText, marathonText, true, templates);
  const stages: Record<string, StageTime> = {};
  const firstPass = poll(stages, mesosText, marathonText, true, templates);
  const rebuildStages = ['normalize Mesos', 'normalize Marathon', 'DNS records', 'DNS encoded answers', 'HAProxy view', 'HAProxy render'];
  const result: ScaleRun = {
    sizes: {
      mesosJsonMB: mesosText.length / 1e6,
      marathonJsonMB: marathonText.length / 1e6,
      names: firstPass.table?.size ?? 0,
      records: [...firstPass.records.a.values(), ...firstPass.records.aaaa.values()].reduce((n, v) => n + v.length, 0) + [...firstPass.records.srv.values()].reduce((n, v) => n + v.length, 0),
      answerBytesMB: (firstPass.table?.bytes.length ?? 0) / 1e6,
      configMB: (firstPass.config?.config.length ?? 0) / 1e6,
    },
    cold,
    coldRebuild: sum(cold, rebuildStages),
    stages,
    rebuild: sum(stages, rebuildStages),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

await main();
