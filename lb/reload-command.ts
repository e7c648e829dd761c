// Runs the operator's reload command (lb.reloadCommand, an argv) after a validated config change, with a timeout.
// I/O: runs a process (no shell) through lb/run-process.ts. A failure carries the command's own output.
import type { ReloadOutcome } from './reloaders.js';
import { runProcess } from './run-process.js';

const MAX_OUTPUT = 64 * 1024;

export async function runReloadCommand(argv: readonly string[], timeoutMs: number): Promise<ReloadOutcome> {
  const started = Date.now();
  const [command, ...args] = argv;
  if (command === undefined) return { ok: false, message: 'the reload command is empty', output: '', ms: 0 };
  const result = await runProcess(command, args, timeoutMs, MAX_OUTPUT);
  const ms = Date.now() - started;
  const { output } = result;
  switch (result.kind) {
    case 'failed':
      return { ok: false, message: `cannot run ${command}: ${result.error.message}`, output, ms };
    case 'timed-out':
      return { ok: false, message: `${argv.join(' ')} did not finish within ${timeoutMs} ms and was killed`, output, ms };
    case 'signalled':
    case 'exited': {
      if (result.kind === 'exited' && result.code === 0) return { ok: true, ms };
      const how = result.kind === 'exited' ? `exit ${result.code}` : `signal ${result.signal}`;
      const tail = output.trim() === '' ? '' : `: ${output.trim().split('\n').slice(-3).join(' | ')}`;
      return { ok: false, message: `${argv.join(' ')} failed (${how})${tail}`, output, ms };
    }
  }
}
