// JSON.parse of a large document in pieces, as a generator for runInSlices, so that the DNS server keeps answering
// while a 60 MB Mesos state is parsed. Pure. Gives exactly what JSON.parse gives for the text of the bytes (but for
// what an ItemHook puts in an item's place), or throws what JSON.parse throws. It reads the UTF-8 bytes themselves
// and decodes one piece at a time: the text of a 60 MB body as one string was 60 MB more heap, made in one 70 ms step.
import { hash } from 'node:crypto';

/** Values at most this many bytes long are parsed by one JSON.parse call (runs of them together). */
const PIECE_BYTES = 64 * 1024;
/** Bytes scanned between the points where the caller may pause. */
const SCAN_PER_STEP = 256 * 1024;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;

/** Thrown inside when the text is not JSON; the caller then lets JSON.parse say why. */
class NotJson extends Error {}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/**
 * The text of bytes [start, end). Pieces begin and end at JSON's own punctuation or spaces, which are ASCII, so a
 * piece never splits a character and the pieces' texts join to the text of the whole.
 */
function textOf(bytes: Uint8Array, start: number, end: number): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('utf8');
}

/**
 * Where the value that starts at `from` ends, or -1 once it is known to run past `limit` (a large container, which
 * the caller then walks member by member instead). Strings are skipped with their escapes; the rest is left to
 * JSON.parse, which checks everything again. In bytes: UTF-8 puts every byte of a non-ASCII character at 0x80 or
 * above, so none of them reads as a quote, backslash, bracket or comma.
 */
function valueEnd(text: Uint8Array, from: number, limit: number): number {
  let at = from;
  const first = text[at] ?? -1;
  if (first === QUOTE) return stringEnd(text, at);
  if (first !== OPEN_ARRAY && first !== OPEN_OBJECT) {
    // A number or literal: up to the next delimiter.
    while (at < text.length) {
      const c = text[at] ?? -1;
      if (c === COMMA || c === CLOSE_ARRAY || c === CLOSE_OBJECT || isSpace(c)) break;
      at++;
    }
    // Nothing at all (as in "[1,]"): a run of members would hide it from JSON.parse.
    if (at === from) throw new NotJson('missing value');
    return at;
  }
  let depth = 0;
  const stop = Math.min(text.length, limit);
  while (at < stop) {
    const c = text[at] ?? -1;
    if (c === QUOTE) {
      at = stringEnd(text, at);
      continue;
    }
    if (c === OPEN_ARRAY || c === OPEN_OBJECT) depth++;
    else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) {
      depth--;
      if (depth === 0) return at + 1;
    }
    at++;
  }
  if (stop < text.length) return -1;
  throw new NotJson('unterminated');
}

/** The index after the string that opens at `from`: its closing quote found by indexOf, a native scan. */
function stringEnd(text: Uint8Array, from: number): number {
  let at = from + 1;
  for (;;) {
    const quote = text.indexOf(QUOTE, at);
    if (quote < 0) throw new NotJson('unterminated string');
    // Escaped when an odd number of backslashes stands before it (none of them can lie before `at`).
    let before = quote - 1;
    while (before >= at && text[before] === BACKSLASH) before--;
    if ((quote - 1 - before) % 2 === 0) return quote + 1;
    at = quote + 1;
  }
}

function skipSpace(text: Uint8Array, from: number): number {
  let at = from;
  while (at < text.length && isSpace(text[at] ?? -1)) at++;
  return at;
}

/** Sets obj[key] as JSON.parse does: an own data property, even for "__proto__" (which assignment would not make). */
function define(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
  else obj[key] = value;
}

/**
 * Told of each item of an array that is walked member by member (a large one): the path that leads to the array
 * (object keys joined by dots, "[]" for an item of an array: "frameworks[].tasks"), the item, and where its bytes
 * start and end. Returns what the array holds in the item's place: the item itself, or what the caller makes of it
 * at once (a Mesos task normalized as it is parsed, so that the raw task is never kept beside the others: see
 * mesos-task.ts). Offsets let a caller tell apart items whose text has not changed (Marathon's apps) without
 * serializing them again. A hook must change nothing but what it returns: what it made may be thrown away (a
 * document that turns out not to parse in pieces is parsed whole, with its items raw), so callers accept raw items
 * too. Paths are not escaped: a key with a dot or "[]" in it can look like a path of several keys.
 */
export type ItemHook = (path: string, item: unknown, start: number, end: number) => unknown;

/**
 * The key of a JSON text, or of its UTF-8 bytes (the same key): its SHA-1, 28 characters of base64. Marathon's app
 * memo keys every app by one, from its bytes as the parser found them, so that an unchanged app is found without
 * serializing it again.
 */
export function textKey(text: string | Uint8Array): string {
  return hash('sha1', text, 'base64');
}

/** The path of the member `key` of an object at `path`, or (`key` null) of an item of an array at `path` (see ItemHook). */
const childPath = (path: string, key: string | null): string => (key === null ? `${path}[]` : path === '' ? key : `${path}.${key}`);

/** Walks one large container from `from` (its bracket) at `path`; returns its value and where it ends. */
function* container(text: Uint8Array, from: number, pieceBytes: number, onItem: ItemHook | null, path: string): Generator<void, [unknown, number]> {
  const isArray = text[from] === OPEN_ARRAY;
  const close = isArray ? CLOSE_ARRAY : CLOSE_OBJECT;
  const array: unknown[] = [];
  const object: Record<string, unknown> = {};
  // A run of small members [runStart, runEnd), parsed together by one JSON.parse.
  let runStart = -1;
  let runEnd = -1;
  /** With onItem: where each item of the run starts and ends, in pairs. */
  const spans: number[] = [];
  let scanned = 0;
  const flush = (): void => {
    if (runStart < 0) return;
    const piece = textOf(text, runStart, runEnd);
    if (isArray) {
      const items = JSON.parse(`[${piece}]`) as unknown[];
      // Each item with its own span or none: a misread run goes to JSON.parse whole (see parseJsonSteps).
      if (onItem !== null && spans.length !== 2 * items.length) throw new NotJson('spans');
      for (const [i, item] of items.entries()) array.push(onItem === null ? item : onItem(path, item, spans[2 * i] ?? 0, spans[2 * i + 1] ?? 0));
    } else for (const [key, value] of Object.entries(JSON.parse(`{${piece}}`) as Record<string, unknown>)) define(object, key, value);
    runStart = -1;
    spans.length = 0;
  };
  let at = skipSpace(text, from + 1);
  if (text[at] === close) return [isArray ? array : object, at + 1];
  for (;;) {
    const memberStart = at;
    let keyEnd = at;
    if (!isArray) {
      if (text[at] !== QUOTE) throw new NotJson('key');
      keyEnd = stringEnd(text, at);
      at = skipSpace(text, keyEnd);
      if (text[at] !== COLON) throw new NotJson('colon');
      at = skipSpace(text, at + 1);
    }
    const end = valueEnd(text, at, at + pieceBytes);
    if (end >= 0) {
      // Small: joins the run (the member as written, key and all).
      if (runStart < 0) runStart = memberStart;
      runEnd = end;
      if (isArray && onItem !== null) spans.push(memberStart, end);
      scanned += end - memberStart;
      at = end;
      if (runEnd - runStart >= pieceBytes) {
        flush();
        yield;
      }
    } else {
      flush();
      const key = isArray ? null : (JSON.parse(textOf(text, memberStart, keyEnd)) as string);
      const [value, valueEndAt] = yield* container(text, at, pieceBytes, onItem, childPath(path, key));
      if (key === null) array.push(onItem === null ? value : onItem(path, value, at, valueEndAt));
      else define(object, key, value);
      at = valueEndAt;
    }
    if (scanned >= SCAN_PER_STEP) {
      scanned = 0;
      yield;
    }
    at = skipSpace(text, at);
    const c = text[at] ?? -1;
    if (c === close) {
      flush();
      return [isArray ? array : object, at + 1];
    }
    if (c !== COMMA) throw new NotJson('comma');
    at = skipSpace(text, at + 1);
  }
}

/**
 * JSON.parse of the text of `bytes` (UTF-8, as Buffer#toString decodes it) in steps: a large array or object is
 * walked member by member, small members are parsed in runs by JSON.parse itself (`pieceBytes` says what is small;
 * tests make it tiny to walk everything), and `onItem` is told of each item of an array walked so, with its path
 * and byte offsets, and what it returns takes the item's place (a document no longer than a piece is parsed whole,
 * and tells nothing). Anything that is not JSON throws JSON.parse's own error (the whole text is handed to it then,
 * as it is when the document is small; items told before that are dropped, and the value, if the text is JSON
 * after all, holds raw items). A string is taken as its UTF-8 bytes.
 */
export function* parseJsonSteps(source: Uint8Array | string, pieceBytes = PIECE_BYTES, onItem: ItemHook | null = null): Generator<void, unknown> {
  const text = typeof source === 'string' ? Buffer.from(source, 'utf8') : source;
  const whole = (): unknown => JSON.parse(typeof source === 'string' ? source : textOf(text, 0, text.length));
  const start = skipSpace(text, 0);
  if (text.length - start <= pieceBytes) return whole();
  const first = text[start];
  if (first !== OPEN_ARRAY && first !== OPEN_OBJECT) return whole();
  try {
    const [value, end] = yield* container(text, start, pieceBytes, onItem, '');
    if (skipSpace(text, end) !== text.length) throw new NotJson('trailing');
    return value;
  } catch (error) {
    // Not JSON (or a member JSON.parse refused): the whole text to JSON.parse, which throws its own message.
    if (error instanceof NotJson || error instanceof SyntaxError) return whole();
    throw error;
  }
}
