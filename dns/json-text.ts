// JSON text of a large document as a generator of pieces, so that an HTTP shell can write /v1/axfr and /v1/enumerate
// at 100k tasks in slices instead of blocking the DNS server for a second. Pure. The text is exactly what
// JSON.stringify(value, null, 2) gives for the document the lazy parts stand for.

/** An object whose members are produced as it is written: `entries` is called once, when the writer reaches it. */
export class LazyObject {
  constructor(readonly entries: () => Iterable<readonly [string, unknown]>) {}
}

/** A value computed by pure steps (yielding between them, as recordSteps does) when the writer reaches it. */
export class LazyValue {
  constructor(readonly steps: () => Generator<void, unknown>) {}
}

/** Members written between the points where the caller may pause (each is small: a name and its records). */
const MEMBERS_PER_STEP = 256;
/** Nodes (values, containers included) a subtree may have to be written by one JSON.stringify call. */
const WHOLE_NODES = 256;

const INDENT = '  ';

/**
 * The JSON text of `value`: a string per piece, and `undefined` where the caller may pause (the text is the
 * pieces joined). Plain values are JSON.stringify's own; LazyObject and LazyValue may appear anywhere in the tree,
 * inside plain objects and arrays too, and hold JSON values (no functions, no undefined).
 */
export function* jsonText(value: unknown, depth = 0): Generator<string | undefined, void> {
  if (value instanceof LazyValue) {
    const steps = value.steps();
    for (let step = steps.next(); ; step = steps.next()) {
      if (step.done === true) {
        yield* jsonText(step.value, depth);
        return;
      }
      yield undefined;
    }
  }
  if (value instanceof LazyObject) {
    yield* members(value.entries(), depth);
    return;
  }
  if (typeof value !== 'object' || value === null || weigh(value, WHOLE_NODES) >= 0) {
    const text = JSON.stringify(value, null, INDENT);
    // Newlines in JSON text are layout only (strings escape theirs), so indenting every line nests the value.
    yield depth === 0 ? text : text.replaceAll('\n', `\n${INDENT.repeat(depth)}`);
    return;
  }
  if (Array.isArray(value)) {
    yield* items(value, depth);
    return;
  }
  yield* members(Object.entries(value as Record<string, unknown>), depth);
}

function* members(entries: Iterable<readonly [string, unknown]>, depth: number): Generator<string | undefined, void> {
  const inner = `\n${INDENT.repeat(depth + 1)}`;
  let count = 0;
  for (const [key, member] of entries) {
    // As JSON.stringify writes objects: a member whose value is undefined is left out.
    if (member === undefined) continue;
    yield `${count === 0 ? '{' : ','}${inner}${JSON.stringify(key)}: `;
    yield* jsonText(member, depth + 1);
    if (++count % MEMBERS_PER_STEP === 0) yield undefined;
  }
  yield count === 0 ? '{}' : `\n${INDENT.repeat(depth)}}`;
}

function* items(list: readonly unknown[], depth: number): Generator<string | undefined, void> {
  const inner = `\n${INDENT.repeat(depth + 1)}`;
  for (let i = 0; i < list.length; i++) {
    yield `${i === 0 ? '[' : ','}${inner}`;
    // As JSON.stringify writes them: a hole or undefined in an array is null.
    yield* jsonText(list[i] ?? null, depth + 1);
    if ((i + 1) % MEMBERS_PER_STEP === 0) yield undefined;
  }
  yield list.length === 0 ? '[]' : `\n${INDENT.repeat(depth)}]`;
}

/**
 * What is left of `left` once the nodes of `value` are counted; negative when it holds a lazy part or more nodes
 * than that. A subtree that weighs in is written by one JSON.stringify call; a heavier one member by member, so that
 * no one call (the 1.2M records of /v1/enumerate at 100k tasks, say) runs for long.
 */
function weigh(value: unknown, left: number): number {
  if (value instanceof LazyObject || value instanceof LazyValue) return -1;
  let rest = left - 1;
  if (typeof value !== 'object' || value === null) return rest;
  for (const child of Array.isArray(value) ? value : Object.values(value)) {
    rest = weigh(child, rest);
    if (rest < 0) return rest;
  }
  return rest;
}

/** The whole text at once (for tests, and for small documents). */
export function jsonTextOf(value: unknown): string {
  let text = '';
  for (const piece of jsonText(value)) if (piece !== undefined) text += piece;
  return text;
}
