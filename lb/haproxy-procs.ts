// Process helpers for the managed HAProxy: wait for a child to exit, and kill workers that outlived their master.
// I/O: signals processes and reads /proc/<pid>/cmdline (Linux) to make sure a pid still is the HAProxy we started.
import type { ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

/** True once `child` has exited (at once if it already has); false when `ms` pass first. */
export function exited(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.off('exit', onExit);
      resolve(false);
    }, ms);
    const onExit = (): void => {
      clearTimeout(timer);
      resolve(true);
    };
    child.once('exit', onExit);
  });
}

/**
 * True when `pid` is alive and its command line mentions `marker` (our config path). A pid that cannot be checked
 * counts as not ours: after its process is gone a pid can be reused, and a stranger must never be killed.
 */
async function isOurs(pid: number, marker: string): Promise<boolean> {
  try {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.split('\0').some((arg) => arg.includes(marker));
  } catch {
    return false;
  }
}

/**
 * SIGKILLs those of `pids` that are still our HAProxy and waits (up to `waitMs`) until they are gone. Workers leave
 * by themselves when their master dies; this is the safety net for one that does not, since it would keep serving
 * an old config on the shared (SO_REUSEPORT) listeners. Returns the pids it killed.
 */
export async function killStrays(pids: Iterable<number>, marker: string, waitMs = 2_000): Promise<number[]> {
  const killed: number[] = [];
  for (const pid of pids) {
    if (!(await isOurs(pid, marker))) continue;
    try {
      process.kill(pid, 'SIGKILL');
      killed.push(pid);
    } catch {
      // Gone between the check and the signal: nothing to do.
    }
  }
  const deadline = Date.now() + waitMs;
  for (const pid of killed) {
    while (Date.now() < deadline && (await isOurs(pid, marker))) await sleep(10);
  }
  return killed;
}
