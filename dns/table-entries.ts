// The entries of an answer table while it is built: the byte arena, each entry's offsets and counts, and where each
// answer record starts. Pure.
import { ENTRY } from './answer-table.js';
import { Arena, IntList } from './table-arena.js';
import type { EncodedAnswer } from './zone.js';
import { REPLY_AREA_BYTES, withReplyAreaSteps } from './reply-area.js';
import { finish } from './steps.js';
import { releaseMemory } from './memory.js';

/** Bytes of answers copied per step of doneSteps (a millisecond or two). */
const COPY_BYTES = 4 << 20;

export class Entries {
  readonly arena: Arena;
  /** entries × ENTRY.STRIDE. */
  readonly list = new IntList();
  readonly recordStarts = new IntList();

  constructor(size: number) {
    // Room for the fast path's reply area after the answers, so that done() need not copy them to add it.
    this.arena = new Arena(size + REPLY_AREA_BYTES);
  }

  /**
   * The finished arrays and bytes, trimmed to what was written. Copied when that frees much: the lists grow by
   * doubling and the arena is sized from an estimate, so views would keep up to twice the table alive (28 MB at
   * 100k tasks) for as long as it is served; but a large arena's room past what was written was never touched, and
   * costs nothing, so it is kept (see withReplyAreaSteps). The bytes get the fast path's reply area after them
   * (dns/reply-area.ts). As steps: copying 45 MB of answers and two lists at 100k tasks took about 0.1 s in one
   * piece, so the bytes are copied COPY_BYTES at a time and each list in a step of its own.
   */
  *doneSteps(): Generator<void, { entries: Int32Array; starts: Int32Array; bytes: Buffer }> {
    const arena = this.arena.bytes;
    // The arena is written from its start only (Arena), in a block of its own (Buffer.allocUnsafeSlow).
    const bytes = yield* withReplyAreaSteps(arena.subarray(0, this.arena.used), COPY_BYTES, true);
    // What was copied from is given back at once (releaseMemory), not left for a full collection.
    if (bytes.buffer !== arena.buffer) releaseMemory(arena.buffer);
    yield;
    const entries = this.list.taken();
    yield;
    return { entries, starts: this.recordStarts.taken(), bytes };
  }

  /** doneSteps() to the end at once. */
  done(): { entries: Int32Array; starts: Int32Array; bytes: Buffer } {
    return finish(this.doneSteps());
  }

  /** Where the first answer record of `entry` starts. */
  firstRecord(entry: number): number {
    return this.recordStarts.items[this.list.items[entry * ENTRY.STRIDE + ENTRY.FIRST_RECORD] ?? 0] ?? 0;
  }

  /** Starts an entry at the arena's end; returns its number. `finish` fills in the rest. */
  begin(): number {
    const index = this.list.length / ENTRY.STRIDE;
    const start = this.arena.used;
    this.list.push(start);
    this.list.push(start);
    this.list.push(start);
    this.list.push(0);
    this.list.push(0);
    this.list.push(this.recordStarts.length);
    return index;
  }

  finish(entry: number, answersEnd: number, answers: number, additional: number): number {
    const at = entry * ENTRY.STRIDE;
    this.list.items[at + ENTRY.ANSWERS_END] = answersEnd;
    this.list.items[at + ENTRY.END] = this.arena.used;
    this.list.items[at + ENTRY.ANSWERS] = answers;
    this.list.items[at + ENTRY.ADDITIONAL] = additional;
    return entry;
  }

  /** A new entry with the answers of `parts` in order and the additional records of `withAdditional`. */
  concat(parts: readonly number[], withAdditional: number): number {
    const entry = this.begin();
    let answers = 0;
    const items = this.list.items;
    for (const part of parts) {
      const at = part * ENTRY.STRIDE;
      const start = items[at + ENTRY.START] ?? 0;
      const count = items[at + ENTRY.ANSWERS] ?? 0;
      const first = items[at + ENTRY.FIRST_RECORD] ?? 0;
      for (let r = 0; r < count; r++) this.recordStarts.push(this.arena.used + (this.recordStarts.items[first + r] ?? 0) - start);
      this.arena.copyWithin(start, items[at + ENTRY.ANSWERS_END] ?? 0);
      answers += count;
    }
    const answersEnd = this.arena.used;
    let additional = 0;
    if (withAdditional >= 0) {
      const at = withAdditional * ENTRY.STRIDE;
      this.arena.copyWithin(items[at + ENTRY.ANSWERS_END] ?? 0, items[at + ENTRY.END] ?? 0);
      additional = items[at + ENTRY.ADDITIONAL] ?? 0;
    }
    return this.finish(entry, answersEnd, answers, additional);
  }

  /** An entry holding an answer the zone encoded; -1 when it has no answers (NODATA). */
  copyEncoded(found: EncodedAnswer): number {
    if (found.answers.length === 0) return -1;
    const entry = this.begin();
    for (const record of found.answers) {
      this.recordStarts.push(this.arena.used);
      this.arena.append(record);
    }
    const answersEnd = this.arena.used;
    for (const record of found.additional) this.arena.append(record);
    return this.finish(entry, answersEnd, found.answers.length, found.additional.length);
  }
}
