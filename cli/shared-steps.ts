// One run of pure steps (a generator that yields where its caller may pause) shared by every caller that asks for
// the same thing while it runs: /v1/enumerate's records, built once per served state however many requests come.
// Pure: callers drive the steps; nothing is scheduled here.

export class SharedSteps<K, T> {
  private run: { readonly key: K; steps: Generator<void, T> | null; value: T | undefined } | null = null;

  /** `start` makes the steps for a key; a new key replaces the run of the old one (its callers still finish it). */
  constructor(private readonly start: (key: K) => Generator<void, T>) {}

  /**
   * Steps that end with the value for `key`: they drive the shared run, pausing where it pauses, and end at once when
   * it has ended. A caller that stops midway (its client went away) leaves the run where it was for the next one.
   * A run that throws is dropped, so the next caller starts another.
   */
  *get(key: K): Generator<void, T> {
    if (this.run === null || this.run.key !== key) this.run = { key, steps: this.start(key), value: undefined };
    const run = this.run;
    for (;;) {
      // Ended: the value is kept, the steps (and whatever they held) are not.
      if (run.steps === null) return run.value as T;
      let step: IteratorResult<void, T>;
      try {
        step = run.steps.next();
      } catch (error) {
        if (this.run === run) this.run = null;
        throw error;
      }
      if (step.done === true) {
        run.steps = null;
        run.value = step.value;
        return step.value;
      }
      yield;
    }
  }
}
