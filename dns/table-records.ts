// A zone's A and SRV records read back from its answer table, as the RecordSet they were encoded from: once the
// table is built, the zone's general path, /v1 and the metrics read them there, and the RecordSet's maps (about
// 45 MB at 100k tasks) can go. Pure.
import { ENTRY, SLOT, SLOTS, type AnswerTable } from './answer-table.js';
import type { RecordMap, RecordSet, SrvTarget } from './records.js';
import { QUESTION_OFFSET } from './wire.js';

/** Bytes of an answer record before its RDATA: the owner (a pointer to the question), type, class, TTL, RDLENGTH. */
const RDATA_AT = 2 + 10;

/** One type's records by name, decoded from the table's entries when asked for; in the RecordSet's order. */
class TableMap<V> implements RecordMap<V> {
  constructor(
    private readonly table: AnswerTable,
    private readonly slot: number,
    /** The names with records of this type (their numbers), in the order of the RecordSet's map. */
    private readonly order: Int32Array,
    private readonly decode: (table: AnswerTable, entry: number, name: string) => V,
  ) {}

  get size(): number {
    this.table.assertLive();
    return this.order.length;
  }

  private entryOf(name: string): number {
    const index = this.table.numberOf(name);
    return index < 0 ? -1 : (this.table.slots[index * SLOTS + this.slot] ?? -1);
  }

  get(name: string): V | undefined {
    const entry = this.entryOf(name);
    return entry < 0 ? undefined : this.decode(this.table, entry, name);
  }

  has(name: string): boolean {
    return this.entryOf(name) >= 0;
  }

  *keys(): IterableIterator<string> {
    for (const index of this.order) yield this.table.nameOf(index);
  }

  *values(): IterableIterator<V> {
    for (const [, value] of this.entries()) yield value;
  }

  *entries(): IterableIterator<[string, V]> {
    // An SRV entry can answer two names (a task's _tcp and _udp sets are encoded once), which come one after the
    // other: decoded once for both. It decodes to the same targets for each, as they are cut at the same places of
    // questions of equal length.
    let lastEntry = -1;
    let last: V | undefined;
    for (const index of this.order) {
      const name = this.table.nameOf(index);
      const entry = this.table.slots[index * SLOTS + this.slot] ?? -1;
      if (entry !== lastEntry || last === undefined) {
        last = this.decode(this.table, entry, name);
        lastEntry = entry;
      }
      yield [name, last];
    }
  }

  [Symbol.iterator](): IterableIterator<[string, V]> {
    return this.entries();
  }
}

/** `read` applied to where each answer record of `entry` starts, in order (a plain loop: this runs per record). */
function eachRecord<T>(table: AnswerTable, entry: number, read: (start: number) => T): T[] {
  const at = entry * ENTRY.STRIDE;
  const first = table.entries[at + ENTRY.FIRST_RECORD] ?? 0;
  const count = table.entries[at + ENTRY.ANSWERS] ?? 0;
  const out = new Array<T>(count);
  for (let i = 0; i < count; i++) out[i] = read(table.recordStarts[first + i] ?? 0);
  return out;
}

function addresses(table: AnswerTable, entry: number): string[] {
  const b = table.bytes;
  return eachRecord(table, entry, (start) => {
    const at = start + RDATA_AT;
    return `${b[at] ?? 0}.${b[at + 1] ?? 0}.${b[at + 2] ?? 0}.${b[at + 3] ?? 0}`;
  });
}

/**
 * A target name as table-arena.ts's writeName wrote it: its own labels, then either the root label or a pointer
 * into the question name (`question`, dotted, at QUESTION_OFFSET of the reply), whose suffix from there ends it.
 */
function nameAt(bytes: Buffer, at: number, question: string): string {
  let name = '';
  for (;;) {
    const length = bytes[at] ?? 0;
    if (length === 0) return name === '' ? '.' : name;
    if (length >= 0xc0) return name + question.slice((((length & 0x3f) << 8) | (bytes[at + 1] ?? 0)) - QUESTION_OFFSET);
    name += `${bytes.toString('latin1', at + 1, at + 1 + length)}.`;
    at += 1 + length;
  }
}

function srvTargets(table: AnswerTable, entry: number, question: string): SrvTarget[] {
  const b = table.bytes;
  // In the RecordSet's key order (target, port), so that both kinds of value have one shape.
  return eachRecord(table, entry, (start) => ({ target: nameAt(b, start + RDATA_AT + 6, question), port: ((b[start + RDATA_AT + 4] ?? 0) << 8) | (b[start + RDATA_AT + 5] ?? 0) }));
}

/**
 * `records` with its A and SRV maps read from `table` (built from exactly these records). AAAA stays the
 * RecordSet's own map: an address is kept as the text it was published with, which 16 bytes would not give back.
 */
export function tableRecords(table: AnswerTable, records: RecordSet): RecordSet {
  return {
    apex: records.apex,
    a: new TableMap(table, SLOT.A, table.aOrder, addresses),
    aaaa: records.aaaa,
    srv: new TableMap(table, SLOT.SRV, table.srvOrder, srvTargets),
    frameworks: records.frameworks,
    diagnostics: records.diagnostics,
    hold: () => table.hold(),
  };
}
