// Runs the operator's reload command (lb.reloadCommand, an argv) after a validated config change, with a timeout.
// I/O: spawns a process (no shell). A failure carries the command's own output, so it is never silently lost.
import { spawn } from 'node:child_process';

export type ReloadResult = { ok: true; ms: number } | { ok: false; message: string; output: string; ms: number };

const MAX_OUTPUT = 64 * 1024;

export function runReloadCommand(argv: readonly string[], timeoutMs: number): Promise<ReloadResult> {
  const started = Date.now();
  const [command, ...args] = argv;
  if (command === undefined) return Promise.resolve({ ok: false, message: 'the reload command is empty', output: '', ms: 0 });
  return new Promise((resolve) => {
    let output = '';
    let settled = false;
    const finish = (result: ReloadResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const collect = (chunk: Buffer): void => {
      if (output.length < MAX_OUTPUT) output += chunk.toString('utf8');
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      finish({ ok: false, message: `${argv.join(' ')} did not finish within ${timeoutMs} ms and was killed`, output, ms: Date.now() - started });
    }, timeoutMs);
    child.on('error', (error) => finish({ ok: false, message: `cannot run ${command}: ${error.message}`, output, ms: Date.now() - started }));
    child.on('close', (code, signal) => {
      const ms = Date.now() - started;
      if (code === 0) finish({ ok: true, ms });
      else finish({ ok: false, message: `${argv.join(' ')} failed (${code === null ? `signal ${signal ?? '?'}` : `exit ${code}`})${output.trim() === '' ? '' : `: ${output.trim().split('\n').slice(-3).join(' | ')}`}`, output, ms });
    });
  });
}
