// Runs dnsperf against 127.0.0.1 and reads its report: queries per second, loss, and latency percentiles from the
// per-query lines of -v. I/O: spawns dnsperf (pinned to a CPU with taskset when it is installed) and child servers.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export const hasTaskset = spawnSync('taskset', ['-V']).status === 0;
const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK']).stdout?.toString().trim() || '100');

/** `command args…`, pinned to `cpu` when taskset is available. */
export function pinned(cpu: number | null, command: string, args: readonly string[]): [string, string[]] {
  return cpu !== null && hasTaskset ? ['taskset', ['-c', String(cpu), command, ...args]] : [command, [...args]];
}

export interface Child {
  readonly port: number;
  readonly process: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Starts a child that prints {"port": N} when it is ready; stop() closes its stdin and waits for it to exit.
 * `nodeFlags` go before the script (switchyard's child gets the ones it is launched with, cli/node-flags.ts).
 */
export function startChild(cpu: number | null, script: string, args: readonly string[], nodeFlags: readonly string[] = []): Promise<Child> {
  const [command, argv] = pinned(cpu, process.execPath, [...nodeFlags, script, ...args]);
  const child = spawn(command, argv, { stdio: ['pipe', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} ${args.join(' ')} did not start in 60 s`)), 60_000);
    child.once('exit', (code) => reject(new Error(`${script} exited with ${String(code)} before it was ready`)));
    const lines = createInterface({ input: child.stdout });
    lines.once('line', (line) => {
      clearTimeout(timer);
      const port = (JSON.parse(line) as { port: number }).port;
      const exited = new Promise<void>((done) => child.once('exit', () => done()));
      resolve({
        port,
        process: child,
        stop: async () => {
          child.stdin.end();
          const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
          await exited;
          clearTimeout(killer);
        },
      });
    });
  });
}

/** CPU seconds a process has used (user + system), from /proc; NaN where /proc is not available. */
export function cpuSeconds(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${String(pid)}/stat`, 'utf8');
    // Fields after the command (which may hold spaces): utime and stime are the 12th and 13th, in clock ticks.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return Number.NaN;
  }
}

export interface PerfResult {
  readonly qps: number;
  readonly sent: number;
  readonly completed: number;
  readonly lost: number;
  readonly avgLatencyMs: number;
  readonly responseBytes: number;
  /** Only with per-query output (latency runs): percentiles in ms, after the warm-up share is skipped. */
  readonly percentiles: { readonly p50: number; readonly p90: number; readonly p99: number; readonly p999: number } | null;
}

export interface PerfRun {
  readonly port: number;
  readonly queryFile: string;
  readonly seconds: number;
  /** Outstanding queries (-q). */
  readonly outstanding?: number;
  /** A fixed rate (-Q); with it, per-query latencies are recorded (-v). */
  readonly rate?: number;
  readonly cpu: number | null;
}

const number = (text: string, pattern: RegExp): number => Number(pattern.exec(text)?.[1] ?? Number.NaN);

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? Number.NaN;
}

/** Per-query latencies (s) from `> RCODE name type latency` lines, in the order the answers came. */
export function latencyLines(output: string): number[] {
  const out: number[] = [];
  for (const line of output.split('\n')) {
    if (!line.startsWith('> ')) continue;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (Number.isFinite(value)) out.push(value);
  }
  return out;
}

/** Reads dnsperf's statistics block; `warmup` of the per-query latencies (by arrival) are left out of percentiles. */
export function parsePerf(output: string, warmup = 0.2): PerfResult {
  const latencies = latencyLines(output);
  const measured = latencies.slice(Math.floor(latencies.length * warmup)).sort((a, b) => a - b);
  const ms = (s: number): number => s * 1000;
  return {
    qps: number(output, /Queries per second:\s+([\d.]+)/),
    sent: number(output, /Queries sent:\s+(\d+)/),
    completed: number(output, /Queries completed:\s+(\d+)/),
    lost: number(output, /Queries lost:\s+(\d+)/),
    avgLatencyMs: ms(number(output, /Average Latency \(s\):\s+([\d.]+)/)),
    responseBytes: number(output, /response (\d+)/),
    percentiles:
      measured.length === 0
        ? null
        : { p50: ms(percentile(measured, 0.5)), p90: ms(percentile(measured, 0.9)), p99: ms(percentile(measured, 0.99)), p999: ms(percentile(measured, 0.999)) },
  };
}

/**
 * Runs dnsperf with its output going to a file, read once it exits: a pipe would wake this process for every chunk
 * of the per-query lines (-v), and any work on the server's CPU shows up in its latency.
 */
export function dnsperf(run: PerfRun): Promise<PerfResult> {
  const args = ['-s', '127.0.0.1', '-p', String(run.port), '-d', run.queryFile, '-l', String(run.seconds), '-q', String(run.outstanding ?? 100)];
  if (run.rate !== undefined) args.push('-Q', String(run.rate), '-v');
  const [command, argv] = pinned(run.cpu, 'dnsperf', args);
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-dnsperf-'));
  const outputPath = join(dir, 'output.txt');
  const fd = openSync(outputPath, 'w');
  return new Promise<PerfResult>((resolve, reject) => {
    const child = spawn(command, argv, { stdio: ['ignore', fd, fd] });
    child.once('error', reject);
    child.once('exit', (code) => {
      const output = readFileSync(outputPath, 'utf8');
      if (code !== 0) reject(new Error(`dnsperf exited with ${String(code)}:\n${output.slice(-2000)}`));
      else resolve(parsePerf(output));
    });
  }).finally(() => {
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  });
}

/** Moves this process (all its threads) to `cpu`, the client's, so that it never runs on the server's CPU. */
export function pinSelf(cpu: number): void {
  if (hasTaskset) spawnSync('taskset', ['-a', '-p', '-c', String(cpu), String(process.pid)], { stdio: 'ignore' });
}
