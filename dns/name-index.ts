// An open-addressing hash index from a name's bytes (lower case, dotted, ASCII) to its number in the answer table,
// so the fast path finds a question's name without making a string of it. Pure.
import { freeMemoryNow, releaseMemory } from './memory.js';

export const FNV_OFFSET = 0x811c9dc5 | 0;
/** FNV-1a, computed by the fast path while it reads the question and by add() while it stores a name. */
export const FNV_PRIME = 16777619;

/** Where lookup() writes a name's bytes (names are at most 255 characters; everything here is synchronous). */
const LOOKUP = new Uint8Array(255);

/**
 * Writes `name`'s bytes into `bytes` from `at` and returns their FNV-1a hash; null when a character is not ASCII (what
 * it wrote so far is left there).
 */
function writeKey(name: string, bytes: Uint8Array, at: number): number | null {
  let hash = FNV_OFFSET;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c > 0x7f) return null;
    bytes[at + i] = c;
    hash = Math.imul(hash ^ c, FNV_PRIME);
  }
  return hash;
}

export class NameIndex {
  /** Hash slots: name number + 1, or 0 when empty. */
  private readonly slots: Int32Array;
  private readonly mask: number;
  private readonly starts: Int32Array;
  private readonly lengths: Uint8Array;
  private keys: Buffer;
  private used = 0;
  private count = 0;

  /** Room for `capacity` names of `keyBytes` characters in all (it grows past that, by doubling, if need be). */
  constructor(capacity: number, keyBytes = capacity * 24) {
    let size = 16;
    while (size < capacity * 2) size *= 2;
    this.slots = new Int32Array(size);
    this.mask = size - 1;
    this.starts = new Int32Array(Math.max(1, capacity));
    this.lengths = new Uint8Array(Math.max(1, capacity));
    // A block of its own (not a share of Buffer's pool, as small Buffer.alloc ones are), so that it can be released.
    this.keys = Buffer.allocUnsafeSlow(Math.max(64, keyBytes)).fill(0);
  }

  /** Adds name number `index` (each index once); false when it is left out: over 255 characters, or not ASCII. */
  add(name: string, index: number): boolean {
    if (name.length > 255) return false;
    if (this.used + name.length > this.keys.length) {
      const next = Buffer.allocUnsafeSlow(Math.max(this.keys.length * 2, this.used + name.length)).fill(0);
      this.keys.copy(next, 0, 0, this.used);
      releaseMemory(this.keys.buffer);
      this.keys = next;
    }
    const start = this.used;
    const hash = writeKey(name, this.keys, start);
    if (hash === null) return false; // never written past `used`, so the half-written key is simply overwritten later
    this.starts[index] = start;
    this.lengths[index] = name.length;
    this.used += name.length;
    let slot = hash & this.mask;
    while ((this.slots[slot] ?? 0) !== 0) slot = (slot + 1) & this.mask;
    this.slots[slot] = index + 1;
    this.count++;
    return true;
  }

  /** Gives its memory back at once (see dns/memory.ts); the index is empty from then on, and add() must not be called. */
  free(): void {
    freeMemoryNow(this.slots.buffer, this.starts.buffer, this.lengths.buffer, this.keys.buffer);
    this.count = 0;
  }

  /** How many names it holds. */
  get size(): number {
    return this.count;
  }

  /** The number of `name`, as add() stored it; -1 when it is not here (or add() could not have kept it). */
  lookup(name: string): number {
    if (name.length > 255) return -1;
    const hash = writeKey(name, LOOKUP, 0);
    return hash === null ? -1 : this.find(LOOKUP, name.length, hash);
  }

  /** Name number `index` (added), as a new string. */
  nameOf(index: number): string {
    const start = this.starts[index] ?? 0;
    return this.keys.toString('latin1', start, start + (this.lengths[index] ?? 0));
  }

  /** The number of the name held in `bytes[0, length)` with FNV-1a hash `hash`, or -1. */
  find(bytes: Uint8Array, length: number, hash: number): number {
    const keys = this.keys;
    let slot = hash & this.mask;
    for (;;) {
      const found = (this.slots[slot] ?? 0) - 1;
      if (found < 0) return -1;
      if (this.lengths[found] === length) {
        const start = this.starts[found] ?? 0;
        let i = 0;
        while (i < length && keys[start + i] === bytes[i]) i++;
        if (i === length) return found;
      }
      slot = (slot + 1) & this.mask;
    }
  }
}

/**
 * Where, in `b[0, bLength)`, the trailing labels it shares with `a[0, aLength)` start (both dotted, fully
 * qualified, lower case); bLength when they share none. The byte form of table-arena.ts's sharedSuffix.
 */
export function sharedCut(a: Uint8Array, aLength: number, b: Uint8Array, bLength: number): number {
  let i = aLength - 1;
  let j = bLength - 1;
  while (i > 0 && j > 0) {
    let pi = i - 1;
    while (pi >= 0 && a[pi] !== 0x2e) pi--;
    let pj = j - 1;
    while (pj >= 0 && b[pj] !== 0x2e) pj--;
    if (i - pi !== j - pj) break;
    let k = 1;
    while (k < i - pi && a[pi + k] === b[pj + k]) k++;
    if (k < i - pi) break;
    i = pi;
    j = pj;
  }
  return j + 1;
}
