// Runs a generator of pure work (normalizeMesosSteps, recordSteps) in slices of a few milliseconds, yielding to the
// event loop between them, so that the DNS server keeps answering while a large state is normalized and recorded;
// or to its end in one go. I/O: runInSlices reads the clock and schedules with setImmediate; runToEnd is pure.

/** The generator's return value, with no pause at all (the synchronous forms, normalizeMesos and the like). */
export function runToEnd<T>(steps: Generator<void, T>): T {
  for (;;) {
    const step = steps.next();
    if (step.done === true) return step.value;
  }
}

/** Resolves with the generator's return value; throws what it throws. `sliceMs` bounds each slice. */
export function runInSlices<T>(steps: Generator<void, T>, sliceMs = 4): Promise<T> {
  return new Promise((resolve, reject) => {
    const slice = (): void => {
      const deadline = performance.now() + sliceMs;
      try {
        for (;;) {
          const step = steps.next();
          if (step.done === true) {
            resolve(step.value);
            return;
          }
          if (performance.now() >= deadline) break;
        }
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
        return;
      }
      setImmediate(slice);
    };
    slice();
  });
}
