// Test helper: runs the real, built switchyard (dist/cli/main.js) with a config, and reads its JSON log lines.
// I/O: spawns a process and writes a temporary config file.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NODE_FLAGS } from '../../cli/node-flags.js';

/** The folder with package.json above this file: test/helpers/ in the tests, dist/bench/test/helpers/ in a benchmark. */
function rootAbove(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

export const repoRoot = rootAbove(fileURLToPath(new URL('.', import.meta.url)));
export const mainJs = join(repoRoot, 'dist/cli/main.js');

export interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly [key: string]: unknown;
}

export interface Program {
  readonly child: ChildProcess;
  readonly logs: LogLine[];
  readonly stderr: () => string;
  readonly dnsPort: number;
  readonly httpPort: number;
  /** Resolves with the first log line that matches, waiting up to timeoutMs. */
  waitForLog(match: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  stop(): Promise<number | null>;
}

/**
 * A config that serves DNS and HTTP on free loopback ports and forwards nothing outside the zone (no resolver is
 * ever asked), with `rest` added: what a test of the real program starts from.
 */
export function loopbackConfig(rest: Record<string, unknown>): Record<string, unknown> {
  return { port: 0, httpport: 0, listener: '127.0.0.1', HTTPListener: '127.0.0.1', externalon: false, ...rest };
}

/** Writes the config into a fresh temp folder (so relative paths resolve there) and returns its path. */
export function writeConfig(config: Record<string, unknown>, files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-test-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  const path = join(dir, 'config.json');
  writeFileSync(path, JSON.stringify(config, null, 2));
  return path;
}

/** Starts the program; waits until DNS and HTTP (whichever the config enables) are listening. */
export async function startProgram(configPath: string, options: { waitForListening?: boolean; nodeFlags?: readonly string[] } = {}): Promise<Program> {
  // With the Node flags switchyard is launched with everywhere (cli/node-flags.ts), unless a test says otherwise.
  const child = spawn(process.execPath, [...(options.nodeFlags ?? NODE_FLAGS), mainJs, '--config', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: LogLine[] = [];
  let stderr = '';
  const waiters: { match: (l: LogLine) => boolean; resolve: (l: LogLine) => void }[] = [];
  let buffered = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    let newline: number;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const text = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      let line: LogLine;
      try {
        line = JSON.parse(text) as LogLine;
      } catch {
        continue;
      }
      logs.push(line);
      for (const w of [...waiters]) {
        if (w.match(line)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
    }
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const waitForLog = (match: (line: LogLine) => boolean, timeoutMs = 10_000): Promise<LogLine> => {
    const found = logs.find(match);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching log line in ${timeoutMs} ms; stderr: ${stderr}; logs: ${JSON.stringify(logs)}`)), timeoutMs);
      waiters.push({ match, resolve: (l) => (clearTimeout(timer), resolve(l)) });
      void exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`switchyard exited with ${code}; stderr: ${stderr}; logs: ${JSON.stringify(logs)}`));
      });
    });
  };

  let dnsPort = 0;
  let httpPort = 0;
  if (options.waitForListening !== false) {
    // The gateway binds DNS before HTTP, so once HTTP listens the DNS line (if DNS is on) is already logged.
    httpPort = Number((await waitForLog((l) => l.msg === 'HTTP API listening')).port);
    dnsPort = Number(logs.find((l) => l.msg === 'DNS listening on UDP and TCP')?.port ?? 0);
  }
  return {
    child,
    logs,
    stderr: () => stderr,
    dnsPort,
    httpPort,
    waitForLog,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** Runs the program to completion (for --version, invalid configs): exit code, stdout, stderr. */
export function runProgram(args: readonly string[], timeoutMs = 10_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...NODE_FLAGS, mainJs, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`switchyard ${args.join(' ')} did not exit in ${timeoutMs} ms`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
