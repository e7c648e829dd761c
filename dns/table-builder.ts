// Builds a Zone's AnswerTable: every name that exists, and the encoded answers for its A, AAAA, SRV and ANY questions.
// Pure. The work is done in bounded steps (about `budget` names each), so the server answers between them.
import { AnswerTable, ENTRY, SLOTS, SLOT_OF_TYPE } from './answer-table.js';
import { Arena, IntList, ipv4Number } from './table-arena.js';
import type { SrvTarget } from './records.js';
import { TYPE, ipv6Bytes } from './wire.js';
import type { EncodedAnswer, Zone } from './zone.js';

const OWNER_IS_QUESTION = 0xc00c;

export class TableBuilder {
  private readonly names = new Map<string, number>();
  private readonly order: string[] = [];
  private readonly sources: Iterator<string>[];
  private slots = new Int32Array(0);
  private encoded = 0;
  private readonly arena = new Arena();
  private readonly entries = new IntList();
  private readonly recordStarts = new IntList();
  private readonly ttl: number;

  constructor(private readonly zone: Zone) {
    const { a, aaaa, srv } = zone.records;
    this.sources = [a.keys(), aaaa.keys(), srv.keys()];
    this.ttl = zone.params.ttl >>> 0;
    this.addName(zone.apex);
  }

  /** Does about `budget` names of work; returns the finished table, or null while there is more to do. */
  step(budget: number): AnswerTable | null {
    let left = budget;
    while (this.sources.length > 0 && left > 0) {
      const next = this.sources[0]?.next();
      if (next === undefined || next.done === true) {
        this.sources.shift();
        if (this.sources.length === 0) this.slots = new Int32Array(this.order.length * SLOTS).fill(-1);
        continue;
      }
      this.addWithAncestors(next.value);
      left--;
    }
    while (this.sources.length === 0 && this.encoded < this.order.length && left > 0) {
      this.encodeName(this.encoded, this.order[this.encoded] ?? '');
      this.encoded++;
      left--;
    }
    if (this.sources.length > 0 || this.encoded < this.order.length) return null;
    this.zone.adoptNames(this.names);
    const entries = this.entries.items.subarray(0, this.entries.length);
    const starts = this.recordStarts.items.subarray(0, this.recordStarts.length);
    return new AnswerTable(this.zone, this.names, this.slots, entries, starts, this.arena.bytes.subarray(0, this.arena.used));
  }

  private addName(name: string): void {
    this.names.set(name, this.order.length);
    this.order.push(name);
  }

  /** As zone.ts's addWithAncestors: empty non-terminals between a name and the apex exist too. */
  private addWithAncestors(name: string): void {
    let current = name;
    while (current.length > this.zone.apex.length && !this.names.has(current)) {
      this.addName(current);
      current = current.slice(current.indexOf('.') + 1);
    }
  }

  private encodeName(index: number, name: string): void {
    const base = index * SLOTS;
    if (name === this.zone.apex) {
      // One name with every type (SOA, NS, glue, perhaps A): encoded by the zone itself, then copied.
      for (const [type, slot] of SLOT_OF_TYPE) this.slots[base + slot] = this.copyEntry(this.zone.encode(name, type));
      return;
    }
    const { a, aaaa, srv } = this.zone.records;
    const v4 = a.get(name) ?? [];
    const v6 = aaaa.get(name) ?? [];
    const targets = srv.get(name) ?? [];
    const found: number[] = [];
    const entryA = v4.length > 0 ? this.addressEntry(v4, TYPE.A) : -1;
    const entryAaaa = v6.length > 0 ? this.addressEntry(v6, TYPE.AAAA) : -1;
    const entrySrv = targets.length > 0 ? this.srvEntry(name, targets) : -1;
    for (const e of [entryA, entryAaaa, entrySrv]) if (e >= 0) found.push(e);
    this.slots[base + 0] = entryA;
    this.slots[base + 1] = entryAaaa;
    this.slots[base + 2] = entrySrv;
    // ANY is every type in that order, with the SRV glue; with one type it is that type's entry, byte for byte.
    this.slots[base + 3] = found.length === 0 ? -1 : found.length === 1 ? (found[0] ?? -1) : this.concatEntries(found, entrySrv);
  }

  /** Starts an entry at the arena's end; returns its index. `finish` fills in the rest. */
  private begin(): number {
    const index = this.entries.length / ENTRY.STRIDE;
    const start = this.arena.used;
    for (const value of [start, start, start, 0, 0, this.recordStarts.length]) this.entries.push(value);
    return index;
  }

  private finish(entry: number, answersEnd: number, answers: number, additional: number): number {
    const at = entry * ENTRY.STRIDE;
    this.entries.items[at + ENTRY.ANSWERS_END] = answersEnd;
    this.entries.items[at + ENTRY.END] = this.arena.used;
    this.entries.items[at + ENTRY.ANSWERS] = answers;
    this.entries.items[at + ENTRY.ADDITIONAL] = additional;
    return entry;
  }

  /** Owner, type, class IN, TTL and RDLENGTH; returns the offset of RDLENGTH to patch when it is not known yet. */
  private recordHead(type: number, rdlength: number): number {
    const out = this.arena.bytes;
    let at = this.arena.used;
    out.writeUInt16BE(type, at + 0);
    out.writeUInt16BE(1, at + 2);
    out.writeUInt32BE(this.ttl, at + 4);
    out.writeUInt16BE(rdlength, at + 8);
    at += 10;
    this.arena.used = at;
    return at - 2;
  }

  private writeAddress(ip: string, type: number): void {
    const out = this.arena.bytes;
    if (type === TYPE.A) {
      this.recordHead(TYPE.A, 4);
      out.writeUInt32BE(ipv4Number(ip), this.arena.used);
      this.arena.used += 4;
    } else {
      this.recordHead(TYPE.AAAA, 16);
      ipv6Bytes(ip).copy(out, this.arena.used);
      this.arena.used += 16;
    }
  }

  private addressEntry(ips: readonly string[], type: number): number {
    const entry = this.begin();
    this.arena.ensure(ips.length * 30);
    for (const ip of ips) {
      this.recordStarts.push(this.arena.used);
      this.arena.bytes.writeUInt16BE(OWNER_IS_QUESTION, this.arena.used);
      this.arena.used += 2;
      this.writeAddress(ip, type);
    }
    return this.finish(entry, this.arena.used, ips.length, 0);
  }

  /** SRV answers (priority 0, the zone's weight) and, as additional data, the first A and AAAA of each target. */
  private srvEntry(question: string, targets: readonly SrvTarget[]): number {
    const entry = this.begin();
    const { a, aaaa } = this.zone.records;
    for (const { target, port } of targets) {
      this.arena.ensure(name32(target));
      this.recordStarts.push(this.arena.used);
      this.arena.bytes.writeUInt16BE(OWNER_IS_QUESTION, this.arena.used);
      this.arena.used += 2;
      const rdlengthAt = this.recordHead(TYPE.SRV, 0);
      const rdataStart = this.arena.used;
      this.arena.bytes.writeUInt16BE(0, rdataStart);
      this.arena.bytes.writeUInt16BE(this.zone.params.srvWeight, rdataStart + 2);
      this.arena.bytes.writeUInt16BE(port, rdataStart + 4);
      this.arena.used += 6;
      this.arena.writeName(target, question);
      this.arena.bytes.writeUInt16BE(this.arena.used - rdataStart, rdlengthAt);
    }
    const answersEnd = this.arena.used;
    let additional = 0;
    const seen = new Set<string>();
    for (const { target } of targets) {
      if (seen.has(target)) continue;
      seen.add(target);
      for (const [list, type] of [[a.get(target), TYPE.A], [aaaa.get(target), TYPE.AAAA]] as const) {
        const ip = list?.[0];
        if (ip === undefined) continue;
        this.arena.writeName(target, question);
        this.arena.ensure(30);
        this.writeAddress(ip, type);
        additional++;
      }
    }
    return this.finish(entry, answersEnd, targets.length, additional);
  }

  /** A new entry with the answers of `parts` in order and the additional records of `withAdditional`. */
  private concatEntries(parts: readonly number[], withAdditional: number): number {
    const entry = this.begin();
    let answers = 0;
    for (const part of parts) {
      const at = part * ENTRY.STRIDE;
      const start = this.entries.items[at + ENTRY.START] ?? 0;
      const count = this.entries.items[at + ENTRY.ANSWERS] ?? 0;
      const first = this.entries.items[at + ENTRY.FIRST_RECORD] ?? 0;
      for (let r = 0; r < count; r++) this.recordStarts.push(this.arena.used + (this.recordStarts.items[first + r] ?? 0) - start);
      this.copyBytes(start, this.entries.items[at + ENTRY.ANSWERS_END] ?? 0);
      answers += count;
    }
    const answersEnd = this.arena.used;
    let additional = 0;
    if (withAdditional >= 0) {
      const at = withAdditional * ENTRY.STRIDE;
      this.copyBytes(this.entries.items[at + ENTRY.ANSWERS_END] ?? 0, this.entries.items[at + ENTRY.END] ?? 0);
      additional = this.entries.items[at + ENTRY.ADDITIONAL] ?? 0;
    }
    return this.finish(entry, answersEnd, answers, additional);
  }

  private copyBytes(start: number, end: number): void {
    this.arena.ensure(end - start);
    this.arena.bytes.copy(this.arena.bytes, this.arena.used, start, end);
    this.arena.used += end - start;
  }

  /** An entry holding an answer the zone encoded; -1 when it has no answers (NODATA). */
  private copyEntry(found: EncodedAnswer): number {
    if (found.answers.length === 0) return -1;
    const entry = this.begin();
    for (const record of found.answers) {
      this.recordStarts.push(this.arena.used);
      this.arena.ensure(record.length);
      record.copy(this.arena.bytes, this.arena.used);
      this.arena.used += record.length;
    }
    const answersEnd = this.arena.used;
    for (const record of found.additional) {
      this.arena.ensure(record.length);
      record.copy(this.arena.bytes, this.arena.used);
      this.arena.used += record.length;
    }
    return this.finish(entry, answersEnd, found.answers.length, found.additional.length);
  }
}

/** Room for one SRV record: owner pointer, fixed fields, SRV fields, and the target at its longest. */
function name32(target: string): number {
  return 2 + 10 + 6 + target.length + 2;
}
