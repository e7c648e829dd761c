// `npm run bench`, scale part: synthetic states of 1k apps/10k tasks and 10k apps/100k tasks, each in its own child
// process (so peak RSS is that size's alone): time per rebuild stage, the full rebuild, an unchanged poll, peak RSS.
// I/O: spawns scale-run.js children, prints a table, writes JSON beside this file.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { marathonAppsDoc, mesosStateDoc } from './scale-cluster.js';
import { closeHttpServer, listen } from '../../dns/listen.js';
import type { PollRun, RssStep, ScaleRun, StageTime } from './scale-run.js';
import { NODE_FLAGS } from '../../cli/node-flags.js';
import { gatewayRun, type GatewayRun } from './scale-gateway.js';

const SIZES = [
  { apps: 1000, tasksPerApp: 10 },
  { apps: 10000, tasksPerApp: 10 },
] as const;
const runScript = fileURLToPath(new URL('./scale-run.js', import.meta.url));

function runChild<T>(args: readonly string[]): Promise<T> {
  return new Promise((resolve, reject) => {
    // With the Node flags switchyard is launched with (cli/node-flags.ts).
    const child = spawn(process.execPath, [...NODE_FLAGS, runScript, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
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

/**
 * The fake upstreams of the poll and rss runs: GET /master/state and GET /v2/apps from the bodies last written, on
 * 127.0.0.1 in this process (so their CPU is not the child's).
 */
class Upstreams {
  bodies: { mesos: Buffer; marathon: Buffer } = { mesos: Buffer.from('{}'), marathon: Buffer.from('{"apps":[]}') };
  /** What POST /bench/same-state makes the Mesos body: the same state in another body (see writeBodies). */
  sameState: Buffer = Buffer.from('{}');
  port = 0;
  private readonly server: Server = createServer((req, res) => {
    if (req.method === 'POST' && req.url === '/bench/same-state') {
      this.bodies = { ...this.bodies, mesos: this.sameState };
      res.writeHead(204).end();
      return;
    }
    const body = req.url === '/master/state' ? this.bodies.mesos : req.url?.startsWith('/v2/apps') === true ? this.bodies.marathon : null;
    if (body === null) res.writeHead(404).end();
    else res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length }).end(body);
  });

  async start(): Promise<void> {
    this.port = await listen(this.server, 0, '127.0.0.1');
  }

  close(): Promise<void> {
    return closeHttpServer(this.server);
  }
}

/**
 * The two upstream bodies of a synthetic cluster, written to files the children read; the Mesos state with one
 * task's id changed (a changed poll: every record and the answer table are built again); and the same state in
 * another body, one agent's `cpus` changed (a field DNS never reads, as a master's state changes with every offer).
 */
function writeBodies(dir: string, apps: number, tasksPerApp: number, master: string): [string, string, Buffer, Buffer] {
  const shape = { apps, tasksPerApp, agents: Math.max(10, Math.round(apps / 10)), master };
  const mesos = join(dir, `mesos-${apps}.json`);
  const marathon = join(dir, `marathon-${apps}.json`);
  const doc = mesosStateDoc(shape);
  writeFileSync(mesos, JSON.stringify(doc));
  writeFileSync(marathon, JSON.stringify(marathonAppsDoc(shape)));
  const same = structuredClone(doc);
  const agent = (same.slaves as { resources: { cpus: number } }[])[0];
  if (agent === undefined) throw new Error('the synthetic state has no agent');
  agent.resources.cpus -= 1;
  const task = (doc.frameworks as { tasks: { id: string }[] }[])[0]?.tasks[0];
  if (task === undefined) throw new Error('the synthetic state has no task');
  task.id = `${task.id}-changed`;
  return [mesos, marathon, Buffer.from(JSON.stringify(doc)), Buffer.from(JSON.stringify(same))];
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
  const results: (ScaleRun & PollRun & { readonly apps: number; readonly tasks: number; readonly peakRssMB: number; readonly rssTrace: unknown; readonly gateway: GatewayRun })[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-scale-bench-'));
  const upstreams = new Upstreams();
  await upstreams.start();
  const master = `127.0.0.1:${upstreams.port}`;
  const upstreamArgs = [master, `http://${master}`];
  try {
    for (const size of SIZES) {
      const [mesosFile, marathonFile, changedMesos, sameStateMesos] = writeBodies(dir, size.apps, size.tasksPerApp, master);
      const bodies = [mesosFile, marathonFile];
      const first = { mesos: readFileSync(mesosFile), marathon: readFileSync(marathonFile) };
      upstreams.bodies = first;
      upstreams.sameState = sameStateMesos;
      const timedRun = await runChild<ScaleRun>(['time', ...bodies]);
      const pollRun = await runChild<PollRun>(['poll', ...upstreamArgs]);
      // The poll run ends on the same-state body: the runs after it load the first one.
      upstreams.bodies = first;
      const { peakRssMB, trace } = await runChild<{ peakRssMB: number; trace: Record<string, RssStep> }>(['rss', ...upstreamArgs]);
      const gateway = await gatewayRun(master, () => {
        upstreams.bodies = { ...upstreams.bodies, mesos: changedMesos };
      });
      const run = { ...timedRun, ...pollRun, apps: size.apps, tasks: size.apps * size.tasksPerApp, peakRssMB, rssTrace: trace, gateway };
      results.push(run);
      const { sizes } = run;
      console.log(`\n${run.apps} apps / ${run.tasks} tasks: Mesos state ${sizes.mesosJsonMB.toFixed(1)} MB, Marathon apps ${sizes.marathonJsonMB.toFixed(1)} MB, ${sizes.names} DNS names, ${sizes.records} records, ${sizes.answerBytesMB.toFixed(1)} MB of encoded answers, ${sizes.configMB.toFixed(1)} MB haproxy.cfg`);
      console.log('  stage (ms)                          warm rebuild            first (cold JIT)');
      for (const stage of Object.keys(run.stages)) console.log(`  ${stage.padEnd(28)} ${ms(run.stages[stage])}   ${ms(run.cold[stage])}`);
      console.log(`  ${'full rebuild (no JSON.parse)'.padEnd(28)} ${ms(run.rebuild)}   ${ms(run.coldRebuild)}`);
      console.log('  the real pollers over loopback HTTP (ms)   first load            unchanged (median of 5)');
      for (const stage of Object.keys(run.unchanged)) console.log(`    ${stage.padEnd(26)} ${ms(run.firstLoad[stage])}   ${ms(run.unchanged[stage])}`);
      console.log(`    ${'unchanged poll, both'.padEnd(26)} ${' '.repeat(22)}   ${ms(run.unchangedTotal)}`);
      console.log(`    ${'Mesos: a new body, same state'.padEnd(26)} ${' '.repeat(22)}   ${ms(run.sameStatePoll)}   (parsed and compared; nothing rebuilt)`);
      console.log('  longest time the event loop (the DNS server) went unserved during a first load:');
      for (const [part, pause] of Object.entries(run.longestPauseMs)) console.log(`    ${part.padEnd(48)} ${pause.toFixed(0).padStart(6)} ms`);
      console.log(`  peak RSS of a process that loads this state once through the pollers and keeps what switchyard keeps: ${peakRssMB.toFixed(0)} MB`);
      for (const [step, m] of Object.entries(trace)) console.log(`    after ${step.padEnd(32)} RSS ${m.rssMB.toFixed(0).padStart(5)} MB, peak so far ${m.peakMB.toFixed(0).padStart(5)} MB, JS heap ${m.heapMB.toFixed(0).padStart(5)} MB used of ${m.heapTotalMB.toFixed(0).padStart(5)}, outside it ${m.externalMB.toFixed(0).padStart(5)} MB`);
      const g = run.gateway;
      console.log(`  the real switchyard (DNS and load balancer, both sources at once): loaded in ${(g.loadMs / 1000).toFixed(1)} s, peak RSS ${g.peakRssMB.toFixed(0)} MB, ${g.settledRssMB.toFixed(0)} MB 2 s later; after a changed Mesos state, peak RSS ${g.changedPeakRssMB.toFixed(0)} MB, RSS ${g.changedSettledRssMB.toFixed(0)} MB`);
      console.log(`    a DNS question every 2 ms meanwhile: ${g.dns.questions} sent, ${g.dns.unanswered} unanswered, p99 wait ${g.dns.p99Ms.toFixed(1)} ms, longest ${g.dns.worstMs.toFixed(0)} ms`);
    }
  } finally {
    await upstreams.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const big = results[results.length - 1];
  if (big !== undefined) {
    const verdict = (ok: boolean): string => (ok ? 'meets' : 'misses');
    console.log(
      `\nGoals at 10k apps/100k tasks: full rebuild ${big.rebuild.wallMs.toFixed(0)} ms ${verdict(big.rebuild.wallMs < 1000)} < 1 s; ` +
        `unchanged poll ${big.unchangedTotal.cpuMs.toFixed(0)} ms CPU ${verdict(big.unchangedTotal.cpuMs < 100)} < 100 ms; ` +
        `peak RSS ${big.peakRssMB.toFixed(0)} MB ${verdict(big.peakRssMB < 500)} < 500 MB (the real switchyard: ${big.gateway.peakRssMB.toFixed(0)} MB loading, ${verdict(big.gateway.peakRssMB < 500)} it; ` +
        `${big.gateway.changedPeakRssMB.toFixed(0)} MB once a changed state is served, ${verdict(big.gateway.changedPeakRssMB < 500)} it)`,
    );
  }
  writeFileSync(fileURLToPath(new URL('./scale-bench.json', import.meta.url)), `${JSON.stringify({ load: loadavg(), results }, null, 2)}\n`);
}

await main();
