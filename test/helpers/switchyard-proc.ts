// Test helper: runs the built switchyard (dist/cli/main.js, found from the repository root whether this file runs
// from source or compiled into dist/) and waits until its HTTP API listens. I/O: spawns a process, reads its log.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NODE_FLAGS } from '../../cli/node-flags.js';

/** The folder of switchyard's package.json, looking upwards from this file. */
export function repositoryRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'switchyard') return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('no switchyard package.json above the test helpers');
    dir = parent;
  }
}

export interface Switchyard {
  readonly child: ChildProcess;
  readonly httpPort: number;
  /** The last log lines (JSON objects) and stderr, for failure messages. */
  readonly tail: () => string;
  stop(): Promise<number | null>;
}

export async function startSwitchyard(configPath: string, timeoutMs = 15_000): Promise<Switchyard> {
  const child = spawn(process.execPath, [...NODE_FLAGS, join(repositoryRoot(), 'dist/cli/main.js'), '--config', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let stderr = '';
  let buffered = '';
  let onListening: ((port: number) => void) | null = null;
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    let newline: number;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const text = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      lines.push(text);
      if (lines.length > 200) lines.shift();
      if (onListening !== null && text.includes('"HTTP API listening"')) {
        const port = Number((JSON.parse(text) as { port?: unknown }).port);
        if (Number.isInteger(port)) onListening(port);
      }
    }
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-20_000)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const tail = (): string => `stderr: ${stderr}\nlog:\n${lines.slice(-30).join('\n')}`;
  const httpPort = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`switchyard did not listen in ${timeoutMs} ms; ${tail()}`)), timeoutMs);
    onListening = (port) => {
      clearTimeout(timer);
      resolve(port);
    };
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`switchyard exited with ${code}; ${tail()}`));
    });
  });
  onListening = null;
  return {
    child,
    httpPort,
    tail,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}
