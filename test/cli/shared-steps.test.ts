// cli/shared-steps.ts: callers that ask for the same key while its steps run share one run; a caller that stops
// midway leaves the run for the next; a new key starts a new run; a run that throws is dropped.
import { describe, expect, it } from 'vitest';
import { SharedSteps } from '../../cli/shared-steps.js';

/** Steps for `key` that pause `pauses` times, counting every step taken across all runs in `taken`. */
function counted(taken: { steps: number; starts: number }, pauses: number, failAt = -1) {
  return function* (key: string): Generator<void, string> {
    taken.starts++;
    for (let i = 0; i < pauses; i++) {
      taken.steps++;
      if (i === failAt) throw new Error(`failed at ${i}`);
      yield;
    }
    return `value of ${key}`;
  };
}

/** Runs steps to the end; how many times they paused. */
function drain<T>(steps: Generator<void, T>, limit = Number.POSITIVE_INFINITY): { value: T | undefined; pauses: number } {
  let pauses = 0;
  for (let step = steps.next(); ; step = steps.next()) {
    if (step.done === true) return { value: step.value, pauses };
    if (++pauses >= limit) return { value: undefined, pauses };
  }
}

describe('SharedSteps', () => {
  it('runs the steps once for callers that interleave, and gives each the value', () => {
    const taken = { steps: 0, starts: 0 };
    const shared = new SharedSteps(counted(taken, 10));
    const a = shared.get('s1');
    const b = shared.get('s1');
    const results: string[] = [];
    // Alternate the two callers' steps, as two requests' slices would.
    let doneA = false;
    let doneB = false;
    while (!doneA || !doneB) {
      if (!doneA) {
        const step = a.next();
        if (step.done === true) (doneA = true), results.push(step.value);
      }
      if (!doneB) {
        const step = b.next();
        if (step.done === true) (doneB = true), results.push(step.value);
      }
    }
    expect(results).toEqual(['value of s1', 'value of s1']);
    expect(taken).toEqual({ steps: 10, starts: 1 });
    // Later callers get the value at once.
    expect(drain(shared.get('s1'))).toEqual({ value: 'value of s1', pauses: 0 });
    expect(taken.starts).toBe(1);
  });

  it('goes on where a caller that stopped midway left the run', () => {
    const taken = { steps: 0, starts: 0 };
    const shared = new SharedSteps(counted(taken, 10));
    expect(drain(shared.get('s1'), 4).value).toBeUndefined();
    const rest = drain(shared.get('s1'));
    expect(rest.value).toBe('value of s1');
    expect(taken).toEqual({ steps: 10, starts: 1 });
  });

  it('starts a new run for a new key, and the old run still ends for its callers', () => {
    const taken = { steps: 0, starts: 0 };
    const shared = new SharedSteps(counted(taken, 3));
    const old = shared.get('s1');
    old.next();
    expect(drain(shared.get('s2')).value).toBe('value of s2');
    expect(drain(old).value).toBe('value of s1');
    expect(taken.starts).toBe(2);
  });

  it('drops a run that threw, so the next caller starts another', () => {
    const taken = { steps: 0, starts: 0 };
    const shared = new SharedSteps(counted(taken, 5, 2));
    expect(() => drain(shared.get('s1'))).toThrow('failed at 2');
    expect(() => drain(shared.get('s1'))).toThrow('failed at 2');
    expect(taken.starts).toBe(2);
  });
});
