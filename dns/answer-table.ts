// Every positive answer of a Zone encoded once, in one buffer, found by (name, type); the fast path copies from it.
// Pure. TableBuilder does the work in steps, so the server can answer from the old table between them.
import { isAscii } from './ascii.js';
import { freeMemoryNow } from './memory.js';
import { sharedCut, type NameIndex } from './name-index.js';
import { ReplyArea } from './reply-area.js';
import { TYPE } from './wire.js';
import type { Zone } from './zone.js';

/** Per-name slots, one per question type the zone answers positively. */
export const SLOT = { A: 0, AAAA: 1, SRV: 2, ANY: 3, SOA: 4, NS: 5 } as const;
export const SLOT_OF_TYPE = new Map<number, number>([
  [TYPE.A, SLOT.A],
  [TYPE.AAAA, SLOT.AAAA],
  [TYPE.SRV, SLOT.SRV],
  [TYPE.ANY, SLOT.ANY],
  [TYPE.SOA, SLOT.SOA],
  [TYPE.NS, SLOT.NS],
]);
export const SLOTS = SLOT_OF_TYPE.size;

/** Slot by question type (every served type is below 256), -1 for the rest: an array, as this runs per question. */
const SLOT_BY_TYPE = new Int8Array(256).fill(-1);
for (const [type, slot] of SLOT_OF_TYPE) SLOT_BY_TYPE[type] = slot;

function slotOf(qtype: number): number {
  return qtype < 256 ? (SLOT_BY_TYPE[qtype] ?? -1) : -1;
}

/** Entry fields: answers start, answers end (= additional start), additional end, answer count, additional count, first record. */
export const ENTRY = { START: 0, ANSWERS_END: 1, END: 2, ANSWERS: 3, ADDITIONAL: 4, FIRST_RECORD: 5, STRIDE: 6 } as const;

/**
 * The encoded answers of one zone. Records are compressed against the question name at offset 12 (as wire.ts
 * does), so an entry is valid for any question that asks that name, in any letter case.
 */
export class AnswerTable {
  /** Negative authority sections by question shape: see negativeAuthority. */
  private readonly negatives = new Map<number, Buffer>();
  /** SOA mname and rname as the zone compares them (lower case), or null when not ASCII (see negativeAuthority). */
  private readonly mname: Buffer | null;
  private readonly rname: Buffer | null;
  /** The apex as the fast path compares it. */
  readonly apexBytes: Buffer;
  /** Where the UDP fast path writes replies, after `bytes` in the same block. */
  readonly replies: ReplyArea;
  /** Readers that hold the table across turns of the event loop (a /v1/axfr body being written): see hold(). */
  private holds = 0;
  private freed = false;

  constructor(
    readonly zone: Zone,
    /**
     * Every name that exists (lower case, fully qualified) → its number, and every name by its number; null when
     * `index` holds them all (readsBack), as it then finds them: at 100k tasks the map and the strings were 33 MB.
     */
    private readonly names: { readonly byName: ReadonlyMap<string, number>; readonly byNumber: readonly string[] } | null,
    /** The names by their bytes, for the fast path (names over 255 characters or not ASCII are left out). */
    readonly index: NameIndex,
    /** names × SLOTS: the entry answering that (name, type), or -1 for NODATA. */
    readonly slots: Int32Array,
    /** entries × ENTRY.STRIDE. */
    readonly entries: Int32Array,
    /** Where each answer record starts in `bytes`, so answers can be rotated and cut whole. */
    readonly recordStarts: Int32Array,
    /** The encoded answers, at the start of a block with a reply area after them (withReplyArea). */
    readonly bytes: Buffer,
    /** The numbers of the names with A records, and of those with SRV records, in the order of the RecordSet's maps. */
    readonly aOrder: Int32Array,
    readonly srvOrder: Int32Array,
    /**
     * Whether the records read back from the table are exactly those it was built from (dns/table-records.ts): every
     * name is in `index` (ASCII, at most 255 characters), every SRV target outside those names is ASCII (the arena
     * keeps a character's low byte only), and no name has an empty list of records (those get no entry).
     */
    readonly readsBack: boolean,
  ) {
    this.replies = new ReplyArea(bytes);
    const lower = (name: string): Buffer | null => (isAscii(name) ? Buffer.from(name.toLowerCase(), 'latin1') : null);
    this.mname = lower(zone.params.soa.mname);
    this.rname = lower(zone.params.soa.rname);
    this.apexBytes = Buffer.from(zone.apex, 'latin1');
  }

  /**
   * Keeps the table's memory until the returned function is called (once; later calls do nothing). For a reader
   * that goes on reading over several turns of the event loop, so that free() waits for it.
   */
  hold(): () => void {
    this.assertLive();
    this.holds++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.holds--;
    };
  }

  /** Whether free() may run: no reader holds the table, and its zone no longer reads its records here (or is out of service). */
  get releasable(): boolean {
    return !this.freed && this.holds === 0 && !(this.zone.readsFrom(this) && this.zone.inService);
  }

  get isFreed(): boolean {
    return this.freed;
  }

  /**
   * Gives the table's memory back now (about 76 MB at 100k tasks: the answers, their lists, the slots and the name
   * index), rather than at V8's next full collection, which came only after the next rebuild in a running process.
   * For TableSwap, once the table is no longer served, held or read (`releasable`), and no UDP send is still queued
   * from its reply area. Reading its records or names after this throws (assertLive: the zone's general path, /v1,
   * the metrics), so a reader that was missed fails loudly; the fast path reads only the table being served.
   */
  free(): void {
    if (this.freed) return;
    this.freed = true;
    freeMemoryNow(this.bytes.buffer, this.slots.buffer, this.entries.buffer, this.recordStarts.buffer, this.aOrder.buffer, this.srvOrder.buffer);
    this.index.free();
  }

  /** Throws when the table was freed: reading it then would give zeros, not its answers. */
  assertLive(): void {
    if (this.freed) throw new Error(`the answer table of zone ${this.zone.apex} was freed once it was no longer served; nothing may read it any more`);
  }

  /** How many names exist. */
  get size(): number {
    this.assertLive();
    return this.names === null ? this.index.size : this.names.byNumber.length;
  }

  /** The number of a name that exists (lower case, fully qualified); -1 for any other. */
  numberOf(name: string): number {
    this.assertLive();
    return this.names === null ? this.index.lookup(name) : (this.names.byName.get(name) ?? -1);
  }

  /** Name number `index`. */
  nameOf(index: number): string {
    this.assertLive();
    return this.names === null ? this.index.nameOf(index) : (this.names.byNumber[index] ?? '');
  }

  /** The entry for a name number and question type; -1 when the name has no records of that type (NODATA). */
  entry(nameIndex: number, qtype: number): number {
    const slot = slotOf(qtype);
    return slot < 0 ? -1 : (this.slots[nameIndex * SLOTS + slot] ?? -1);
  }

  /**
   * The apex SOA of a negative answer to a question for the in-zone name in `name[0, length)` (dotted, ASCII, lower
   * case). Its bytes depend only on where the apex, the SOA mname and rname can point into the question: the name's
   * length and where the suffix it shares with mname and with rname starts in them. So a handful of entries serve
   * every missing name, and random names cannot grow the cache. Null when mname or rname is not ASCII (then the
   * bytes comparison could differ from the zone's, so the general path answers).
   */
  negativeAuthority(name: Uint8Array, length: number): Buffer | null {
    if (this.mname === null || this.rname === null) return null;
    const key = (length * 256 + sharedCut(name, length, this.mname, this.mname.length)) * 256 + sharedCut(name, length, this.rname, this.rname.length);
    let found = this.negatives.get(key);
    if (found === undefined) {
      found = this.zone.negativeAuthority(Buffer.from(name.subarray(0, length)).toString('latin1'));
      this.negatives.set(key, found);
    }
    return found;
  }
}
