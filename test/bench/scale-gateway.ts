// Scale benchmark, the real process: the built switchyard (dist/cli/main.js) with DNS and the load balancer on,
// loading a synthetic cluster from the benchmark's loopback upstreams, while a DNS question is sent every 2 ms, then
// polling a changed Mesos state. Reports how long the load took, the process's peak and settled RSS after the load
// and after the change, and how long questions waited during the load.
// I/O: spawns switchyard, writes its config, runs `haproxy -c` through it (nothing is proxied), UDP on 127.0.0.1.
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, startProgram, writeConfig, type LogLine, type Program } from '../helpers/program.js';

export interface GatewayRun {
  /** From the process's start until DNS answers from the Mesos state and the load balancer's config is written. */
  readonly loadMs: number;
  /** The process's peak RSS (VmHWM), and its RSS two seconds after the load, in MB of 10^6 bytes. */
  readonly peakRssMB: number;
  readonly settledRssMB: number;
  /**
   * The peak RSS once a changed Mesos state has been polled and served: every later change is built beside the
   * state and answer table being served, which the first load has not yet got.
   */
  readonly changedPeakRssMB: number;
  /** Its RSS at that moment: what the process holds between changes, once the table it replaced is freed. */
  readonly changedSettledRssMB: number;
  /** Questions for leader.<domain>. sent every 2 ms from start to the end of the load. */
  readonly dns: { readonly questions: number; readonly unanswered: number; readonly p99Ms: number; readonly worstMs: number };
}

const QUESTION_EVERY_MS = 2;

/** The A question for leader.mesos. with the given id. */
function question(id: number): Buffer {
  const name = Buffer.from([6, ...Buffer.from('leader'), 5, ...Buffer.from('mesos'), 0]);
  const header = Buffer.from([id >> 8, id & 0xff, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
  return Buffer.concat([header, name, Buffer.from([0, 1, 0, 1])]);
}

/** Sends questions to 127.0.0.1:port until stopped; the waits of the answered ones and how many were not. */
class Prober {
  private readonly socket = dgram.createSocket('udp4');
  private readonly sent = new Map<number, number>();
  private readonly waits: number[] = [];
  private timer: NodeJS.Timeout | null = null;
  private id = 0;
  private questions = 0;
  private summary: Promise<GatewayRun['dns']> | null = null;

  constructor(private readonly port: number) {
    this.socket.on('message', (reply) => {
      const at = this.sent.get(reply.readUInt16BE(0));
      if (at === undefined) return;
      this.sent.delete(reply.readUInt16BE(0));
      this.waits.push(performance.now() - at);
    });
  }

  start(): void {
    this.timer = setInterval(() => {
      this.id = (this.id + 1) & 0xffff;
      this.sent.set(this.id, performance.now());
      this.questions++;
      this.socket.send(question(this.id), this.port, '127.0.0.1');
    }, QUESTION_EVERY_MS);
  }

  /** Stops sending, waits a second for late answers, and sums up (once: later calls get the same figures). */
  stop(): Promise<GatewayRun['dns']> {
    this.summary ??= this.finish();
    return this.summary;
  }

  private async finish(): Promise<GatewayRun['dns']> {
    if (this.timer !== null) clearInterval(this.timer);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    this.socket.close();
    const sorted = [...this.waits].sort((a, b) => a - b);
    return {
      questions: this.questions,
      unanswered: this.sent.size,
      p99Ms: sorted[Math.floor(sorted.length * 0.99)] ?? 0,
      worstMs: sorted[sorted.length - 1] ?? 0,
    };
  }
}

/** VmHWM and VmRSS of a process, in MB. */
function rssOf(pid: number): { peak: number; now: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 'NaN');
  return { peak: (kb('VmHWM') * 1024) / 1e6, now: (kb('VmRSS') * 1024) / 1e6 };
}

/** Seconds between Mesos polls: the changed state is polled within them (polls of the same state cost little). */
const REFRESH_SECONDS = 5;
/** Time for the changed state's answer table to be built and swapped in once its records are (1–3 s at 100k tasks). */
const TABLE_SETTLE_MS = 6000;

/**
 * Runs switchyard against the upstreams at `master` (host:port, serving /master/state and /v2/apps); once it has
 * loaded, `changeMesos` makes them serve a changed Mesos state.
 */
export async function gatewayRun(master: string, changeMesos: () => void): Promise<GatewayRun> {
  const config = writeConfig({
    masters: [master],
    refreshSeconds: REFRESH_SECONDS,
    domain: 'mesos',
    listener: '127.0.0.1',
    port: 0,
    HTTPListener: '127.0.0.1',
    httpport: 0,
    externalon: false,
    IPSources: ['netinfo', 'mesos', 'host'],
    marathon: [`http://${master}`],
    lb: {
      configFile: 'haproxy.cfg',
      bindAddress: '127.0.0.1',
      statsSocket: 'haproxy.sock',
      sslCerts: [join(repoRoot, 'examples/tls/throwaway-demo.pem')],
      // Written and checked with `haproxy -c`; no HAProxy runs, so nothing connects to the synthetic addresses.
      haproxy: { manage: false },
    },
  });
  const started = performance.now();
  const program: Program = await startProgram(config);
  const prober = new Prober(program.dnsPort);
  prober.start();
  try {
    const index = (match: (line: LogLine) => boolean): number => program.logs.findIndex(match);
    // The Mesos state's records (with its leader's SRV records: a state of Marathon's alone has none), not the
    // progress log's "done", which a load shorter than a second does not log.
    const mesosRecords = (): number => program.logs.filter((l) => l.msg === 'records updated' && typeof l['srv'] === 'number' && l['srv'] > 0).length;
    const loaded = (): boolean => mesosRecords() > 0 && index((l) => l.msg === 'load balancer config written') >= 0;
    const failed = (): LogLine | undefined => program.logs.find((l) => l.level >= 50);
    while (!loaded()) {
      const error = failed();
      if (error !== undefined) throw new Error(`switchyard failed while loading: ${JSON.stringify(error)}`);
      if (performance.now() - started > 120_000) throw new Error('switchyard did not load the cluster in 120 s');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const loadMs = performance.now() - started;
    const dns = await prober.stop();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const pid = program.child.pid ?? 0;
    const rss = rssOf(pid);
    // Unchanged polls of the same state build nothing; the changed one gives a second Mesos records update.
    const before = mesosRecords();
    changeMesos();
    const changeStarted = performance.now();
    while (mesosRecords() === before) {
      const error = failed();
      if (error !== undefined) throw new Error(`switchyard failed on the changed state: ${JSON.stringify(error)}`);
      if (performance.now() - changeStarted > 60_000) throw new Error('switchyard did not take the changed Mesos state in 60 s');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await new Promise((resolve) => setTimeout(resolve, TABLE_SETTLE_MS));
    const changed = rssOf(pid);
    return { loadMs, peakRssMB: rss.peak, settledRssMB: rss.now, changedPeakRssMB: changed.peak, changedSettledRssMB: changed.now, dns };
  } finally {
    await prober.stop();
    await program.stop();
  }
}
