// Carries out a runtime plan over HAProxy's admin socket, all commands on one connection, and reads each answer.
// I/O through the client passed in. A server that still has connections cannot be deleted yet: it is reported as
// pending (it is already in maintenance, so it gets no new traffic) rather than as a failure.
import type { RuntimePlan, RuntimeStep } from './runtime-plan.js';

export interface RuntimeClient {
  /** One connection, the commands in order, each command's answer (trimmed). */
  run(commands: readonly string[]): Promise<string[]>;
}

export type ApplyResult =
  | { readonly ok: true; readonly commands: number; readonly pending: readonly { backend: string; server: string }[]; readonly ms: number }
  | { readonly ok: false; readonly message: string; readonly ms: number };

/** What HAProxy 2.6 answers when a command worked. */
function succeeded(command: string, answer: string): boolean {
  if (command.startsWith('add server ')) return answer === 'New server registered.';
  if (command.startsWith('del server ')) return answer === 'Server deleted.';
  return answer === '';
}

const BUSY = /still has connections|has connections attached|queue/i;

export async function applyPlan(client: RuntimeClient, plan: Extract<RuntimePlan, { kind: 'servers' }>, now: () => number = Date.now): Promise<ApplyResult> {
  const started = now();
  const commands = plan.steps.flatMap((s) => s.commands);
  let answers: string[];
  try {
    answers = await client.run(commands);
  } catch (error) {
    return { ok: false, message: `the runtime API is unreachable: ${(error as Error).message}`, ms: now() - started };
  }
  const pending: { backend: string; server: string }[] = [];
  const failures: string[] = [];
  let i = 0;
  for (const step of plan.steps as readonly RuntimeStep[]) {
    for (const command of step.commands) {
      const answer = answers[i++] ?? '(no answer)';
      if (succeeded(command, answer)) continue;
      if (command.startsWith('del server ') && BUSY.test(answer)) pending.push({ backend: step.backend, server: step.server });
      else failures.push(`${command}: ${answer}`);
    }
  }
  const ms = now() - started;
  if (failures.length > 0) {
    const more = failures.length > 3 ? ` (+${failures.length - 3} more)` : '';
    return { ok: false, message: `HAProxy refused ${failures.length} runtime command(s): ${failures.slice(0, 3).join('; ')}${more}`, ms };
  }
  return { ok: true, commands: commands.length, pending, ms };
}

/** Commands for servers still waiting to be deleted; after the deadline their sessions are cut first. */
export function removalCommands(pending: readonly { backend: string; server: string }[], force: boolean): string[] {
  return pending.flatMap(({ backend, server }) => [...(force ? [`shutdown sessions server ${backend}/${server}`] : []), `del server ${backend}/${server}`]);
}
