// Runs a program (no shell) to completion with a timeout, collecting its stdout and stderr together, bounded.
// I/O: spawns a process and kills it (SIGKILL) when it overruns. Shared by `haproxy -c` and the reload command.
import { spawn } from 'node:child_process';

export type ProcessResult =
  | { readonly kind: 'exited'; readonly code: number; readonly output: string }
  /** Killed by a signal that was not ours (or crashed). */
  | { readonly kind: 'signalled'; readonly signal: string; readonly output: string }
  | { readonly kind: 'timed-out'; readonly output: string }
  /** It could not be started at all (ENOENT, EACCES). */
  | { readonly kind: 'failed'; readonly error: NodeJS.ErrnoException; readonly output: string };

export function runProcess(binary: string, args: readonly string[], timeoutMs: number, maxOutputBytes: number): Promise<ProcessResult> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result: ProcessResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let size = 0;
    const collect = (chunk: Buffer): void => {
      if (size >= maxOutputBytes) return;
      chunks.push(chunk);
      size += chunk.length;
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const output = (): string => Buffer.concat(chunks).toString('utf8').slice(0, maxOutputBytes);

    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);

    child.on('error', (error: NodeJS.ErrnoException) => finish({ kind: 'failed', error, output: output() }));
    // 'close' (not 'exit') so that all of stdout/stderr has been read.
    child.on('close', (code, signal) => {
      if (timedOut) finish({ kind: 'timed-out', output: output() });
      else if (code === null) finish({ kind: 'signalled', signal: signal ?? 'a signal', output: output() });
      else finish({ kind: 'exited', code, output: output() });
    });
  });
}
