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
 * inside plain objects and arrays too. What JSON.stringify does with other values is done here as well, for a
 * subtree walked member by member: toJSON is called, boxed primitives are unwrapped, and undefined, functions and
 * symbols are left out of objects and written as null in arrays (and a LazyValue that gives one, as null).
 */
export function* jsonText(value: unknown): Generator<string | undefined, void> {
  yield* write(asJson(value, ''), 0);
}

/** `value`, already as JSON.stringify sees it (asJson), at `depth`. */
function* write(value: unknown, depth: number): Generator<string | undefined, void> {
  if (value instanceof LazyValue) {
    const steps = value.steps();
    for (let step = steps.next(); ; step = steps.next()) {
      if (step.done === true) {
        const inner = asJson(step.value, '');
        // Its key is written already: a value that JSON.stringify would leave out can only be null here.
        yield* write(unwritable(inner) ? null : inner, depth);
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
    const text = JSON.stringify(value, null, INDENT) ?? 'null';
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

/** A value as JSON.stringify sees it before writing it: after toJSON, with boxed primitives unwrapped. */
function asJson(value: unknown, key: string): unknown {
  let out = value;
  if (typeof out === 'object' && out !== null && 'toJSON' in out && typeof out.toJSON === 'function') out = (out.toJSON as (key: string) => unknown)(key);
  if (out instanceof Number || out instanceof String || out instanceof Boolean) out = out.valueOf();
  return out;
}

/** Whether JSON.stringify writes nothing for the value (left out of an object, null in an array). */
function unwritable(value: unknown): boolean {
  return value === undefined || typeof value === 'function' || typeof value === 'symbol';
}

function* members(entries: Iterable<readonly [string, unknown]>, depth: number): Generator<string | undefined, void> {
  const inner = `\n${INDENT.repeat(depth + 1)}`;
  let count = 0;
  for (const [key, raw] of entries) {
    const member = asJson(raw, key);
    if (unwritable(member)) continue;
    yield `${count === 0 ? '{' : ','}${inner}${JSON.stringify(key)}: `;
    yield* write(member, depth + 1);
    if (++count % MEMBERS_PER_STEP === 0) yield undefined;
  }
  yield count === 0 ? '{}' : `\n${INDENT.repeat(depth)}}`;
}

function* items(list: readonly unknown[], depth: number): Generator<string | undefined, void> {
  const inner = `\n${INDENT.repeat(depth + 1)}`;
  for (let i = 0; i < list.length; i++) {
    yield `${i === 0 ? '[' : ','}${inner}`;
    const item = asJson(list[i], String(i));
    yield* write(unwritable(item) ? null : item, depth + 1);
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
