// SingleFlight: one run at a time, one shared follow-up for requests made during a run, onIdle only when nothing
// waits, and no window in which a second run can start beside the first. In-memory, no I/O.
import { describe, expect, it } from 'vitest';
import { SingleFlight } from '../../state-poller/single-flight.js';

/** A job whose runs finish only when the test says so; records reasons and the most runs seen at once. */
function gatedJob() {
  const reasons: string[] = [];
  const gates: Array<() => void> = [];
  let active = 0;
  let maxActive = 0;
  let idles = 0;
  const flight = new SingleFlight<number>({
    run: async (reason) => {
      reasons.push(reason);
      active += 1;
      maxActive = Math.max(maxActive, active);
      await new Promise<void>((resolve) => gates.push(resolve));
      active -= 1;
      return reasons.length;
    },
    onIdle: () => {
      idles += 1;
    },
  });
  const release = async (): Promise<void> => {
    // Let the run reach its gate, open it, then let the promise reactions settle.
    for (let i = 0; i < 5 && gates.length === 0; i += 1) await Promise.resolve();
    gates.shift()?.();
    for (let i = 0; i < 5; i += 1) await Promise.resolve();
  };
  return { flight, reasons, release, stats: () => ({ maxActive, idles }) };
}

describe('SingleFlight', () => {
  it('requests during a run share one follow-up that serves all their reasons', async () => {
    const { flight, reasons, release, stats } = gatedJob();
    const first = flight.request('a');
    const second = flight.request('b');
    const third = flight.request('c');
    expect(second).not.toBe(first);
    expect(third).toBe(second);
    expect(flight.busy).toBe(true);
    await release();
    expect(await first).toBe(1);
    expect(stats().idles).toBe(0);
    await release();
    expect(await second).toBe(2);
    expect(reasons).toEqual(['a', 'b, c (asked for during the previous run)']);
    expect(stats()).toEqual({ maxActive: 1, idles: 1 });
    expect(flight.busy).toBe(false);
  });

  it('a caller that awaits a run with a follow-up queued and then asks again does not start a run beside it', async () => {
    const { flight, release, stats } = gatedJob();
    const first = flight.request('a');
    const again = first.then(() => flight.request('after a'));
    const queued = flight.request('b');
    await release();
    await first;
    // The follow-up for "b" is running now; "after a" must wait for it rather than run alongside.
    await release();
    expect(await queued).toBe(2);
    await release();
    expect(await again).toBe(3);
    expect(stats().maxActive).toBe(1);
    // A second run beside the first would wait on a gate nobody opens: fail fast instead of at the suite timeout.
  }, 2_000);

  it('a rejected run still lets the follow-up run, and idle() waits for both', async () => {
    let calls = 0;
    const flight = new SingleFlight<string>({
      run: async (reason) => {
        calls += 1;
        await new Promise((resolve) => setTimeout(resolve, 5));
        if (reason === 'boom') throw new Error('boom');
        return reason;
      },
    });
    const failing = flight.request('boom');
    const next = flight.request('fine');
    await expect(failing).rejects.toThrow('boom');
    await flight.idle();
    expect(calls).toBe(2);
    expect(await next).toBe('fine (asked for during the previous run)');
  });
});
