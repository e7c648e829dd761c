// `npm run bench`, scale part: synthetic states of 1k apps/10k tasks and 10k apps/100k tasks, each in its own child
// process (so peak RSS is that size's alone): time per rebuild stage, the full rebuild, an unchanged poll, peak RSS.
// I/O: spawns scale-run.js children, prints a table, writes JSON beside this file.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { marathonAppsDoc, mesosStateDoc } from './scale-cluster.js';
import type { ScaleRun, StageTime } from './scale-run.js';

const SIZES = [
  { apps: 1000, tasksPerApp: 10 },
  { apps: 10000, tasksPerApp: 10 },
] as const;
const runScript = fileURLToPath(new URL('./scale-run.js', import.meta.url));

function runChild<T>(args: readonly string[]): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [runScript, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code !== 0) reject(new Error(`scale-run ${args.join(' ')} exited with ${String(code)}`));
      else resolve(JSON.parse(out) as T);
    });
  });
}

/** The two upstream bodies of a synthetic cluster, written to files the children read. */
function writeBodies(dir: string, apps: number, tasksPerApp: number): [string, string] {
  const shape = { apps, tasksPerApp, agents: Math.max(10, Math.round(apps / 10)) };
  const mesos = join(dir, `mesos-${apps}.json`);
  const marathon = join(dir, `marathon-${apps}.json`);
  writeFileSync(mesos, JSON.stringify(mesosStateDoc(shape)));
  writeFileSync(marathon, JSON.stringify(marathonAppsDoc(shape)));
  return [mesos, marathon];
}

/** A fixed CPU workload (string building and hashing), so figures from different runs can be put side by side. */
function calibrate(): number {
  const start = process.cpuUsage();
  let h = 0;
  for (let i = 0; i < 2_000_000; i++) {
    const s = `app-${i}.marathon.mesos.`;
    for (let j = 0; j < s.length; j++) h = Math.imul(h ^ s.charCodeAt(j), 16777619);
  }
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000 + (h === 42 ? 1 : 0);
}

const ms = (t: StageTime | undefined): string => (t === undefined ? 'n/a' : `${t.cpuMs.toFixed(0).padStart(6)} cpu ${t.wallMs.toFixed(0).padStart(6)} wall`);

async function main(): Promise<void> {
  console.log(`Scale benchmark: ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), Node ${process.version}; load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log(`calibration workload: ${calibrate().toFixed(0)} ms CPU (lower is a faster or quieter machine)`);
  const results: (ScaleRun & { readonly apps: number; readonly tasks: number; readonly peakRssMB: number })[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-scale-bench-'));
  try {
    for (const size of SIZES) {
      const bodies = writeBodies(dir, size.apps, size.tasksPerApp);
      const timedRun = await runChild<ScaleRun>(['time', ...bodies]);
      const { peakRssMB } = await runChild<{ peakRssMB: number }>(['rss', ...bodies]);
      const run = { ...timedRun, apps: size.apps, tasks: size.apps * size.tasksPerApp, peakRssMB };
      results.push(run);
      const { sizes } = run;
      console.log(`\n${run.apps} apps / ${run.tasks} tasks: Mesos state ${sizes.mesosJsonMB.toFixed(1)} MB, Marathon apps ${sizes.marathonJsonMB.toFixed(1)} MB, ${sizes.names} DNS names, ${sizes.records} records, ${sizes.answerBytesMB.toFixed(1)} MB of encoded answers, ${sizes.configMB.toFixed(1)} MB haproxy.cfg`);
      console.log('  stage (ms)                          warm rebuild            first (cold JIT)');
      for (const stage of Object.keys(run.stages)) console.log(`  ${stage.padEnd(28)} ${ms(run.stages[stage])}   ${ms(run.cold[stage])}`);
      console.log(`  ${'full rebuild (no JSON.parse)'.padEnd(28)} ${ms(run.rebuild)}   ${ms(run.coldRebuild)}`);
      console.log('  unchanged poll, as the code stands:');
      for (const stage of Object.keys(run.unchanged)) console.log(`    ${stage.padEnd(26)} ${ms(run.unchanged[stage])}`);
      console.log(`    ${'total'.padEnd(26)} ${ms(run.unchangedTotal)}`);
      console.log(`  peak RSS of a process that loads this state once and keeps what switchyard keeps: ${peakRssMB.toFixed(0)} MB`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const big = results[results.length - 1];
  if (big !== undefined) {
    const verdict = (ok: boolean): string => (ok ? 'meets' : 'misses');
    console.log(
      `\nGoals at 10k apps/100k tasks: full rebuild ${big.rebuild.wallMs.toFixed(0)} ms ${verdict(big.rebuild.wallMs < 1000)} < 1 s; ` +
        `unchanged poll ${big.unchangedTotal.cpuMs.toFixed(0)} ms CPU ${verdict(big.unchangedTotal.cpuMs < 100)} < 100 ms; ` +
        `peak RSS ${big.peakRssMB.toFixed(0)} MB ${verdict(big.peakRssMB < 500)} < 500 MB`,
    );
  }
  writeFileSync(fileURLToPath(new URL('./scale-bench.json', import.meta.url)), `${JSON.stringify({ load: loadavg(), results }, null, 2)}\n`);
}

await main();
