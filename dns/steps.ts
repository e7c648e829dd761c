// Pure work written as steps (generators that yield where a caller may pause): run to the end at once, or in slices
// by the runner the composition root passes in, so that a large state's records and table do not stop the server.
// Pure. dns/ keeps its own copy of lb/steps.ts, as the two halves import nothing from each other.

/** Runs steps to their end in slices, yielding to the event loop between them (state-poller/slices.ts's runInSlices). */
export type SliceRunner = <R>(steps: Generator<void, R>, sliceMs?: number) => Promise<R>;

/** The generator's return value, with no pause (dns/ does not import state-poller/slices.ts: the layering rule). */
export function finish<T>(steps: Generator<void, T>): T {
  let step = steps.next();
  while (step.done !== true) step = steps.next();
  return step.value;
}
