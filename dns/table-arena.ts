// Low-level writers for the answer table: a growing byte arena that writes names compressed against the question
// name at offset 12 (as wire.ts's encodeCompressedName does), a growing int list, and IPv4 parsing. Pure.
import { releaseMemory } from './memory.js';
import { QUESTION_OFFSET } from './wire.js';

/** A byte buffer that grows by doubling, written at its end. */
export class Arena {
  bytes: Buffer;
  used = 0;

  constructor(size: number) {
    // Slow: a block of its own, never a share of Buffer's pool, so that a grown-out one can be released.
    this.bytes = Buffer.allocUnsafeSlow(Math.max(1 << 12, size));
  }

  ensure(n: number): void {
    if (this.used + n <= this.bytes.length) return;
    let size = Math.ceil(this.bytes.length * 1.5);
    while (size < this.used + n) size = Math.ceil(size * 1.5);
    // Unzeroed: only bytes below `used` are ever read, and each of those was written.
    const next = Buffer.allocUnsafeSlow(size);
    this.bytes.copy(next, 0, 0, this.used);
    // Given back now: at 100k tasks the arenas grown out of are tens of MB, left for a full collection otherwise.
    releaseMemory(this.bytes.buffer);
    this.bytes = next;
  }

  /** Big-endian 16 and 32-bit values; the caller has ensured room. */
  u16(value: number): void {
    const at = this.used;
    this.bytes[at] = value >>> 8;
    this.bytes[at + 1] = value & 0xff;
    this.used = at + 2;
  }

  u32(value: number): void {
    const at = this.used;
    this.bytes[at] = value >>> 24;
    this.bytes[at + 1] = (value >>> 16) & 0xff;
    this.bytes[at + 2] = (value >>> 8) & 0xff;
    this.bytes[at + 3] = value & 0xff;
    this.used = at + 4;
  }

  /** Appends a copy of its own bytes [start, end). */
  copyWithin(start: number, end: number): void {
    this.ensure(end - start);
    this.bytes.copyWithin(this.used, start, end);
    this.used += end - start;
  }

  append(bytes: Buffer): void {
    this.ensure(bytes.length);
    bytes.copy(this.bytes, this.used);
    this.used += bytes.length;
  }

  /**
   * A name compressed against the question: its own leading labels, then a pointer to the suffix it shares with
   * the question. `cuts` says where that suffix starts in each, as sharedSuffix packs it.
   */
  writeName(name: string, cuts: number): void {
    this.ensure(name.length + 2);
    const out = this.bytes;
    const own = Math.floor(cuts / 65536);
    let at = this.used;
    let lengthAt = at++;
    for (let i = 0; i < own; i++) {
      const c = name.charCodeAt(i);
      if (c === 0x2e) {
        out[lengthAt] = at - lengthAt - 1;
        lengthAt = at++;
      } else {
        out[at++] = c & 0xff;
      }
    }
    if (own === name.length) {
      out[lengthAt] = 0; // nothing shared: the whole name, ending in the root label
    } else {
      const pointer = QUESTION_OFFSET + (cuts % 65536);
      out[lengthAt] = 0xc0 | (pointer >> 8);
      out[at++] = pointer & 0xff;
    }
    this.used = at;
  }
}

/** A list of 32-bit integers that grows by doubling. */
export class IntList {
  items = new Int32Array(1 << 12);
  length = 0;

  push(value: number): void {
    if (this.length === this.items.length) {
      const next = new Int32Array(this.items.length * 2);
      next.set(this.items);
      releaseMemory(this.items.buffer);
      this.items = next;
    }
    this.items[this.length++] = value;
  }

  /**
   * The items, to keep: a view when that wastes under a tenth of the storage, else a copy of their size and the
   * storage released (it grew by doubling, and a view would keep up to twice the list alive). The list is done with.
   */
  taken(): Int32Array {
    const view = this.items.subarray(0, this.length);
    if (view.length >= this.items.length * 0.9) return view;
    const copy = view.slice();
    releaseMemory(this.items.buffer);
    return copy;
  }
}

/** The four bytes of a dotted-quad IPv4 address (records.ts publishes only valid ones) as an unsigned number. */
export function ipv4Number(ip: string): number {
  let value = 0;
  let octet = 0;
  for (let i = 0; i < ip.length; i++) {
    const c = ip.charCodeAt(i);
    if (c === 0x2e) {
      value = value * 256 + octet;
      octet = 0;
    } else {
      octet = octet * 10 + (c - 0x30);
    }
  }
  return value * 256 + octet;
}

/**
 * Where the longest run of trailing labels shared by `name` and `question` starts in each (both lower case, fully
 * qualified), packed as nameCut * 65536 + questionCut; a cut equal to the length means nothing is shared.
 */
export function sharedSuffix(name: string, question: string): number {
  let i = name.length - 1;
  let j = question.length - 1;
  while (i > 0 && j > 0) {
    const pi = name.lastIndexOf('.', i - 1);
    const pj = question.lastIndexOf('.', j - 1);
    if (i - pi !== j - pj) break;
    let k = 1;
    while (k < i - pi && name.charCodeAt(pi + k) === question.charCodeAt(pj + k)) k++;
    if (k < i - pi) break;
    i = pi;
    j = pj;
  }
  return (i + 1) * 65536 + (j + 1);
}
