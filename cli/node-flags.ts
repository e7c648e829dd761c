// The Node flags switchyard is meant to run with, and a check of the running process for them. Pure.
// Every way this repository starts switchyard passes them (test/cli/node-flags.test.ts holds it to that).

/**
 * `--no-memory-reducer`: when a process's allocation rate drops, V8's memory reducer runs full, compacting
 * collections to give memory back. A DNS server at a steady 10k questions/s looks idle to it: with the 2,000-app
 * benchmark state that was a 30 ms pause at about 100 s, which put p99 over 1 ms (0.1 ms without it), and the pause
 * grows with the heap. Ordinary collections still run as memory fills; only the heap's shrinking while quiet is lost.
 *
 * `--max-semi-space-size=8` (MiB; V8's default here is 16): the young generation is two semi-spaces, and once a
 * rebuild has filled them they stay committed (without the memory reducer nothing shrinks them). At 100k tasks that
 * is 16 MB of peak RSS less; the rebuild's time and the unchanged poll's CPU were within this machine's spread.
 */
export const NODE_FLAGS: readonly string[] = ['--no-memory-reducer', '--max-semi-space-size=8'];

/** The flags of NODE_FLAGS that `execArgv` (process.execArgv) lacks. */
export function missingNodeFlags(execArgv: readonly string[]): string[] {
  return NODE_FLAGS.filter((flag) => !execArgv.includes(flag));
}
