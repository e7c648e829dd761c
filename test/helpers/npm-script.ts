// Test helper: runs one of the repository's npm scripts (`npm start`, `npm run demo`) as a user would, in its own
// process group, collecting switchyard's JSON log lines (stdout) and the other output. I/O: spawns and signals processes.
import { spawn, type ChildProcess } from 'node:child_process';
import type { LogLine } from './program.js';
import { repoRoot } from './program.js';

export interface NpmScript {
  readonly child: ChildProcess;
  readonly logs: LogLine[];
  /** Everything that was not a JSON log line: npm's banner, the demo's `demo: …` lines, stderr. */
  readonly text: () => string;
  /** Resolves with the first log line that matches, waiting up to timeoutMs. */
  waitForLog(match: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** Resolves once the non-JSON output contains `fragment`. */
  waitForText(fragment: string, timeoutMs?: number): Promise<void>;
  /** SIGTERM to npm (which passes it on), then the whole group is killed if it has not exited in time. */
  stop(timeoutMs?: number): Promise<number | null>;
  /** Whether any process of the script's group (npm, switchyard, HAProxy, the demo) is still running. */
  groupAlive(): boolean;
}

/**
 * `npm <args>` in the repository root. The build step (`prestart`) is skipped with npm's ignore-scripts, which the
 * scripts' own `npm start` inherits: `npm test` has built dist/ already, and rebuilding it would race other tests.
 */
export function startNpmScript(args: readonly string[]): NpmScript {
  const child = spawn('npm', [...args], {
    cwd: repoRoot,
    detached: true, // its own process group, so a test that fails cannot leave HAProxy behind
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, npm_config_ignore_scripts: 'true', npm_config_update_notifier: 'false' },
  });
  const logs: LogLine[] = [];
  let text = '';
  const changed: (() => void)[] = [];
  const notify = (): void => {
    for (const listener of changed.splice(0)) listener();
  };
  let buffered = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    let newline: number;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      try {
        logs.push(JSON.parse(line) as LogLine);
      } catch {
        text += `${line}\n`;
      }
    }
    notify();
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    text += chunk;
    notify();
  });
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      exitCode = code;
      notify();
      resolve(code);
    }),
  );

  const waitFor = <T>(probe: () => T | undefined, what: string, timeoutMs: number): Promise<T> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${what} within ${timeoutMs} ms; output: ${text}; logs: ${JSON.stringify(logs)}`)), timeoutMs);
      const check = (): void => {
        const found = probe();
        if (found !== undefined) {
          clearTimeout(timer);
          resolve(found);
        } else if (exitCode !== undefined) {
          clearTimeout(timer);
          reject(new Error(`npm ${args.join(' ')} exited with ${exitCode} before ${what}; output: ${text}; logs: ${JSON.stringify(logs)}`));
        } else {
          changed.push(check);
        }
      };
      check();
    });

  const groupAlive = (): boolean => {
    if (child.pid === undefined) return false;
    try {
      process.kill(-child.pid, 0);
      return true;
    } catch {
      return false;
    }
  };

  return {
    child,
    groupAlive,
    logs,
    text: () => text,
    waitForLog: (match, timeoutMs = 30_000) => waitFor(() => logs.find(match), 'no matching log line', timeoutMs),
    waitForText: (fragment, timeoutMs = 30_000) => waitFor(() => (text.includes(fragment) ? true : undefined), `no "${fragment}"`, timeoutMs).then(() => undefined),
    stop: async (timeoutMs = 15_000) => {
      if (exitCode !== undefined) return exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => {
        if (child.pid !== undefined && groupAlive()) process.kill(-child.pid, 'SIGKILL');
      }, timeoutMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}
