// Benchmark entry (`npm run bench:lb`): task churn on 1,000 apps / 3,000 tasks under client load, handled by the
// runtime API (switchyard) and by a reload per change (marathon-lb's way), in one run; prints figures and ratios. I/O.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { percentile } from '../helpers/churn-cluster.js';
import { failedRequests } from '../helpers/lb-load.js';
import { runMode, type RunResult, type RunShape } from './lb-churn-run.js';

const IDLE_CLOSE = ['redispatch', 'http-server-close', 'dontlognull', 'idle-close-on-response'];

function usage(): never {
  console.error('usage: node dist/test/bench/lb-churn.js [--apps N] [--tasks-per-app N] [--churn N] [--structural N] [--seed N] [--pace-ms N (0: one event at a time)] [--only runtime|reload] [--stock-options]');
  process.exit(2);
}

function parseArgs(argv: readonly string[]): { shape: RunShape; modes: ('runtime' | 'reload')[] } {
  const num = { apps: 1000, 'tasks-per-app': 3, churn: 200, structural: 20, seed: 7, 'pace-ms': 500 };
  let modes: ('runtime' | 'reload')[] = ['runtime', 'reload'];
  let stock = false;
  for (let i = 0; i < argv.length; i += 1) {
    const flag = argv[i]?.replace(/^--/, '') ?? '';
    if (flag === 'stock-options') stock = true;
    else if (flag === 'only') {
      const mode = argv[++i];
      if (mode !== 'runtime' && mode !== 'reload') usage();
      modes = [mode];
    } else if (flag in num) {
      const value = Number(argv[++i]);
      if (!Number.isInteger(value) || value < 0) usage();
      num[flag as keyof typeof num] = value;
    } else usage();
  }
  const shape: RunShape = { apps: num.apps, tasksPerApp: num['tasks-per-app'], churn: num.churn, structural: num.structural, seed: num.seed, paceMs: num['pace-ms'], defaultOptions: stock ? null : IDLE_CLOSE };
  return { shape, modes };
}

function machine(): string {
  const model = /^model name\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 'unknown';
  let haproxy = 'unknown';
  try {
    haproxy = /HAProxy version (\S+)/.exec(execFileSync('haproxy', ['-v'], { encoding: 'utf8' }))?.[1] ?? haproxy;
  } catch {
    // reported as unknown
  }
  return `${cpus().length} CPUs (${model}), node ${process.version}, HAProxy ${haproxy}`;
}

const ms = (values: readonly number[], p: number): string => (values.length === 0 ? '-' : percentile(values, p).toFixed(0));

function report(r: RunResult): string[] {
  const s = r.status;
  const l = r.load;
  return [
    `mode ${r.mode}${r.mode === 'runtime' ? ' (switchyard: runtime API for servers)' : ' (lb.runtimeApi false: reload on every change, as marathon-lb)'}`,
    `  requests ${l.requests} (${l.closeRequests} new connections, ${l.keepAliveRequests} keep-alive) in ${(l.ms / 1000).toFixed(0)} s`,
    `  failed requests ${failedRequests(l)} (errors ${l.errors}, 5xx ${l.status5xx}, other status ${l.otherStatus}, wrong app ${l.wrongApp})`,
    `  reloads ${s.reloads} (first start included), runtime updates ${s.runtimeUpdates}, runtime failures ${s.runtimeFailures}, failures ${s.failures}, writes ${s.writes}`,
    `  event→routing, task started (n=${r.addMs.length}): p50 ${ms(r.addMs, 50)} ms, p90 ${ms(r.addMs, 90)} ms, p99 ${ms(r.addMs, 99)} ms, max ${ms(r.addMs, 100)} ms`,
    `  event→out of rotation, task stopped (n=${r.removeMs.length}): p50 ${ms(r.removeMs, 50)} ms, p90 ${ms(r.removeMs, 90)} ms, p99 ${ms(r.removeMs, 99)} ms, max ${ms(r.removeMs, 100)} ms`,
    `  event→routing, any task event (n=${r.addMs.length + r.removeMs.length}): p50 ${ms([...r.addMs, ...r.removeMs], 50)} ms, p99 ${ms([...r.addMs, ...r.removeMs], 99)} ms`,
    `  event→routing, structural (n=${r.structuralMs.length}): p50 ${ms(r.structuralMs, 50)} ms, p99 ${ms(r.structuralMs, 99)} ms`,
    `  requests to stopped tasks later than 100 ms after removal: ${r.lateHits}; events never seen routed (30 s): ${r.missed}`,
    `  HAProxy peak: ${r.peakWorkers} workers, ${r.peakRssMb.toFixed(0)} MB RSS (master + workers); startup ${(r.startupMs / 1000).toFixed(1)} s; wall ${(r.wallMs / 1000).toFixed(0)} s`,
  ];
}

function ratio(a: number, b: number): string {
  return b === 0 ? (a === 0 ? '1' : '∞') : (a / b).toFixed(1);
}

const { shape, modes } = parseArgs(process.argv.slice(2));
const log = (line: string): void => console.error(`[${new Date().toISOString().slice(11, 19)}] ${line}`);
log(`machine: ${machine()}`);
log(`shape: ${JSON.stringify(shape)}`);
const results: RunResult[] = [];
const loads: string[] = [];
for (const mode of modes) {
  const before = loadavg()[0] ?? 0;
  results.push(await runMode(mode, shape, log));
  loads.push(`${mode} ${before.toFixed(1)} → ${(loadavg()[0] ?? 0).toFixed(1)}`);
}
const lines = [`lb churn benchmark: ${shape.apps} apps × ${shape.tasksPerApp} tasks, ${shape.churn} task events, ${shape.structural} structural changes, ${shape.paceMs > 0 ? `an event every ${shape.paceMs} ms` : 'one event at a time'}, seed ${shape.seed}`, `machine: ${machine()}`, `defaults options: ${(shape.defaultOptions ?? ['(switchyard defaults)']).join(' ')}`, `1-minute load average at start → end: ${loads.join(', ')} (anything else running competes for the same CPUs)`];
for (const r of results) lines.push(...report(r));
const runtime = results.find((r) => r.mode === 'runtime');
const reload = results.find((r) => r.mode === 'reload');
if (runtime !== undefined && reload !== undefined) {
  const p = (r: RunResult, which: 'addMs' | 'removeMs', q: number): number => percentile(r[which], q);
  lines.push(
    'ratios (reload per change ÷ runtime API):',
    `  task started p50 ${ratio(p(reload, 'addMs', 50), p(runtime, 'addMs', 50))}×, p99 ${ratio(p(reload, 'addMs', 99), p(runtime, 'addMs', 99))}×`,
    `  task stopped p50 ${ratio(p(reload, 'removeMs', 50), p(runtime, 'removeMs', 50))}×, p99 ${ratio(p(reload, 'removeMs', 99), p(runtime, 'removeMs', 99))}×`,
    `  reloads ${ratio(reload.status.reloads, runtime.status.reloads)}×, failed requests ${failedRequests(reload.load)} vs ${failedRequests(runtime.load)}, peak RSS ${ratio(reload.peakRssMb, runtime.peakRssMb)}×`,
  );
}
if (runtime !== undefined) {
  const goals = [
    `zero failed requests: ${failedRequests(runtime.load) === 0 ? 'met' : 'MISSED'}`,
    `p99 event→routing under 500 ms: ${percentile([...runtime.addMs, ...runtime.removeMs], 99) < 500 ? 'met' : 'MISSED'}`,
    `reloads only for structural changes: ${runtime.status.reloads === 1 + shape.structural ? 'met' : 'MISSED'} (${runtime.status.reloads} = 1 start + ${runtime.status.reloads - 1})`,
  ];
  lines.push(`goals (runtime mode): ${goals.join('; ')}`);
}
console.log(lines.join('\n'));
