// Benchmark (`node dist/test/bench/lb-stages.js [--apps N] [--runs N]`): the CPU cost of each load-balancer stage for
// one task event on a synthetic cluster, in process (no HAProxy): parse, normalize, buildView, planRuntime, render.
// I/O: prints only. Not a test: nothing asserts on time.
import { loadTemplateSet } from '../../lb/template-files.js';
import { renderConfig, renderServerLines } from '../../lb/render.js';
import { planRuntime } from '../../lb/runtime-plan.js';
import { ViewCache } from '../../lb/view-cache.js';
import { type ViewOptions } from '../../lb/view-model.js';
import type { HaproxyView } from '../../lb/view-types.js';
import { MarathonAppMemo, normalizeMarathon } from '../../state-poller/marathon-normalize.js';
import { ChurnCluster, percentile, seededRandom, type AppSpec } from '../helpers/churn-cluster.js';
import { MLB_DEFAULTS } from '../helpers/lb-generate.js';

const args = process.argv.slice(2);
const flag = (name: string, fallback: number): number => {
  const i = args.indexOf(`--${name}`);
  return i < 0 ? fallback : Number(args[i + 1]);
};
const appCount = flag('apps', 1000);
const runs = flag('runs', 40);

const cluster = new ChurnCluster();
let taskCount = 0;
const task = (): { id: string; host: string; port: number } => {
  taskCount += 1;
  return { id: `t${taskCount}`, host: `127.30.${Math.floor(taskCount / 250)}.${1 + (taskCount % 250)}`, port: 20000 + (taskCount % 30000) };
};
for (let i = 0; i < appCount; i += 1) {
  const app: AppSpec = { id: `/bench/a${String(i).padStart(4, '0')}`, servicePort: 10000 + i, vhost: `a${i}.bench.test`, labels: {}, tasks: [] };
  for (let t = 0; t < 3; t += 1) app.tasks.push(task());
  cluster.add(app);
}

const options: ViewOptions = { ...MLB_DEFAULTS, bindAddress: '127.0.0.1', globalDefaultOptions: ['redispatch', 'http-server-close', 'dontlognull', 'idle-close-on-response'], maxconn: 2000 };
const { set: templates } = await loadTemplateSet(null);
const views = new ViewCache(options);
const times = new Map<string, number[]>();
const time = <T>(stage: string, f: () => T): T => {
  const started = performance.now();
  const value = f();
  const list = times.get(stage) ?? [];
  list.push(performance.now() - started);
  times.set(stage, list);
  return value;
};

// One memo, as the Marathon poller keeps one: unchanged apps keep their objects between documents.
const memo = new MarathonAppMemo();
const viewOf = (previous: HaproxyView | null): HaproxyView => {
  const text = JSON.stringify(cluster.document());
  const raw: unknown = time('JSON.parse', () => JSON.parse(text));
  const normalized = time('normalize', () => normalizeMarathon(raw, memo));
  if (!normalized.ok) throw new Error(normalized.message);
  return time('buildView', () => views.build(normalized.state, new Map(), previous?.healthCache ?? new Map()));
};

const random = seededRandom(7);
let running = viewOf(null);
renderConfig(running, templates);
times.clear();
for (let i = 0; i < runs; i += 1) {
  const apps = [...cluster.apps.values()];
  const app = apps[Math.floor(random() * apps.length)] as AppSpec;
  if (app.tasks.length > 2 && random() < 0.5) app.tasks.shift();
  else app.tasks.push(task());
  const next = viewOf(running);
  const plan = time('planRuntime', () => planRuntime(running, next, (s) => renderServerLines(s, templates)));
  if (plan.kind !== 'servers') throw new Error(`expected a change of servers, got ${plan.kind}`);
  time('render', () => renderConfig(next, templates));
  running = next;
}

console.log(`lb stages: ${appCount} apps × 3 tasks, ${runs} task events, ms per event (p50 / p90 / max)`);
let total = 0;
for (const [stage, list] of times) {
  total += percentile(list, 50);
  console.log(`  ${stage.padEnd(12)} ${percentile(list, 50).toFixed(1).padStart(7)} ${percentile(list, 90).toFixed(1).padStart(7)} ${percentile(list, 100).toFixed(1).padStart(7)}`);
}
console.log(`  ${'sum of p50'.padEnd(12)} ${total.toFixed(1).padStart(7)}`);
