// Every positive answer of a Zone encoded once, in one buffer, found by (name, type); the fast path copies from it.
// Pure. TableBuilder does the work in steps, so the server can answer from the old table between them.
import { sharedSuffix } from './table-arena.js';
import { TYPE } from './wire.js';
import type { Zone } from './zone.js';

/** Per-name slots, one per question type the zone answers positively. */
export const SLOT_OF_TYPE = new Map<number, number>([
  [TYPE.A, 0],
  [TYPE.AAAA, 1],
  [TYPE.SRV, 2],
  [TYPE.ANY, 3],
  [TYPE.SOA, 4],
  [TYPE.NS, 5],
]);
export const SLOTS = 6;
/** Entry fields: answers start, answers end (= additional start), additional end, answer count, additional count, first record. */
export const ENTRY = { START: 0, ANSWERS_END: 1, END: 2, ANSWERS: 3, ADDITIONAL: 4, FIRST_RECORD: 5, STRIDE: 6 } as const;

/**
 * The encoded answers of one zone. Records are compressed against the question name at offset 12 (as wire.ts
 * does), so an entry is valid for any question that asks that name, in any letter case.
 */
export class AnswerTable {
  /** Negative authority sections by question shape: see negativeAuthority. */
  private readonly negatives = new Map<number, Buffer>();
  /** SOA mname and rname as the zone compares them for compression. */
  private readonly mname: string;
  private readonly rname: string;

  constructor(
    readonly zone: Zone,
    /** Every name that exists (lower case, fully qualified) → its index. */
    readonly names: ReadonlyMap<string, number>,
    /** names × SLOTS: the entry answering that (name, type), or -1 for NODATA. */
    readonly slots: Int32Array,
    /** entries × ENTRY.STRIDE. */
    readonly entries: Int32Array,
    /** Where each answer record starts in `bytes`, so answers can be rotated and cut whole. */
    readonly recordStarts: Int32Array,
    readonly bytes: Buffer,
  ) {
    this.mname = zone.params.soa.mname.toLowerCase();
    this.rname = zone.params.soa.rname.toLowerCase();
  }

  /** The entry for a name index and question type; -1 when the name has no records of that type (NODATA). */
  entry(nameIndex: number, qtype: number): number {
    const slot = SLOT_OF_TYPE.get(qtype);
    return slot === undefined ? -1 : (this.slots[nameIndex * SLOTS + slot] ?? -1);
  }

  /**
   * The apex SOA of a negative answer for `name` (lower case, in the zone). Its bytes depend only on where the
   * apex, SOA mname and rname can point into the question: the name's length and where the suffix it shares with
   * mname and with rname starts in them. So a handful of entries serve every missing name, and random names cannot grow it.
   */
  negativeAuthority(name: string): Buffer {
    // Compared as the zone compares them (toLowerCase), so names that share a key really share the bytes.
    const lower = name.toLowerCase();
    const key = (name.length * 256 + cutIn(this.mname, lower)) * 256 + cutIn(this.rname, lower);
    let found = this.negatives.get(key);
    if (found === undefined) {
      found = this.zone.negativeAuthority(name);
      this.negatives.set(key, found);
    }
    return found;
  }
}

/** Where, in `soaName`, the labels it shares with `name` start. */
function cutIn(soaName: string, name: string): number {
  return Math.floor(sharedSuffix(soaName, name) / 65536);
}
