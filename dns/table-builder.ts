// Builds a Zone's AnswerTable: every name that exists, and the encoded answers for its A, AAAA, SRV and ANY questions.
// Pure. The work is done in bounded steps (about `budget` items each), so the server answers between them.
import { AnswerTable, SLOT, SLOTS, SLOT_OF_TYPE } from './answer-table.js';
import { isAscii } from './ascii.js';
import { freeMemoryNow } from './memory.js';
import { NameIndex } from './name-index.js';
import { IntList, ipv4Number, sharedSuffix } from './table-arena.js';
import { Entries } from './table-entries.js';
import type { SrvTarget } from './records.js';
import { QUESTION_POINTER, TYPE, ipv6Bytes } from './wire.js';
import type { Zone } from './zone.js';

/** What one step of finishing the table (copying 4 MiB, or a list) counts for in step()'s budget of names. */
const NAMES_PER_FINISH_STEP = 1024;

/** How many of the SRV sets encoded last a new set is compared with (see recentSrv). */
const RECENT_SRV_SETS = 2;

/** Bytes of an A or AAAA record after its owner: type, class, TTL, RDLENGTH (what head() writes), address. */
const A_TAIL = 10 + 4;
const AAAA_TAIL = 10 + 16;

type Phase = 'names' | 'a' | 'aaaa' | 'srv' | 'any' | 'index' | 'finish' | 'done';

/**
 * Whether two SRV sets encode to the same bytes. An entry's bytes depend on its question only through where each
 * target is cut for compression against it (the answers' owner is a pointer to the question, whatever it is), so
 * the same targets and ports in the same order, cut at the same places, give the same answers and the same glue.
 */
function sameSrvBytes(a: readonly SrvTarget[], aCuts: readonly number[], b: readonly SrvTarget[], bCuts: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as SrvTarget;
    const y = b[i] as SrvTarget;
    if (aCuts[i] !== bCuts[i] || (x !== y && (x.port !== y.port || x.target !== y.target))) return false;
  }
  return true;
}

export class TableBuilder {
  private readonly names = new Map<string, number>();
  private readonly order: string[] = [];
  /**
   * Each name's parent (the name less its first label; -1 for the apex). Names and their ancestors form the tree
   * of label suffixes, so the longest suffix two names share (what compression points at) is their nearest common
   * ancestor, found by walking up with no string work.
   */
  private readonly parents = new IntList();
  private phase: Phase = 'names';
  private sources: Iterator<[string, readonly (string | SrvTarget)[]]>[];
  /** About how many bytes the answers will take, so the arena is allocated once (large regrowths cost full GCs). */
  private estimate = 0;
  private a: Iterator<[string, readonly string[]]>;
  private aaaa: Iterator<[string, readonly string[]]>;
  private srv: Iterator<[string, readonly SrvTarget[]]>;
  /**
   * The SRV sets encoded last (with each record's compression cut), so that a set can take one's entry when their
   * bytes are the same: a task's _tcp and _udp names (the same targets, a question of the same shape) are most of a
   * large zone's SRV bytes. Two, because a task without DiscoveryInfo has its names in the order _tcp.fw.slave,
   * _tcp.fw, _udp.fw.slave, _udp.fw.
   */
  private readonly recentSrv: { readonly targets: readonly SrvTarget[]; readonly cuts: readonly number[]; readonly entry: number }[] = [];
  /** Names with answers of two or more types, whose ANY entry is built last. */
  private readonly mixed: number[] = [];
  private mixedDone = 0;
  private indexed = 0;
  /** See AnswerTable.readsBack. */
  private readsBack = true;
  /** The numbers of the names with A, and with SRV records, in the RecordSet's order (see AnswerTable). */
  private readonly aOrder = new IntList();
  private readonly srvOrder = new IntList();
  private slots = new Int32Array(0);
  private index = new NameIndex(0);
  private store = new Entries(0);
  private finishing: Generator<void, { entries: Int32Array; starts: Int32Array; bytes: Buffer }> | null = null;
  private finished: { entries: Int32Array; starts: Int32Array; bytes: Buffer } | null = null;
  private readonly ttl: number;

  constructor(private readonly zone: Zone) {
    const { a, aaaa, srv } = zone.records;
    this.sources = [a.entries(), aaaa.entries(), srv.entries()];
    this.a = a.entries();
    this.aaaa = aaaa.entries();
    this.srv = srv.entries();
    this.ttl = zone.params.ttl >>> 0;
    this.addName(zone.apex);
  }

  /** Does about `budget` names or record sets of work; returns the finished table, or null while there is more. */
  step(budget: number): AnswerTable | null {
    let left = budget;
    while (left > 0 && this.phase !== 'done') {
      left--;
      if (this.phase === 'names') this.namesStep();
      else if (this.phase === 'a') this.addressStep(this.a, TYPE.A, 'aaaa');
      else if (this.phase === 'aaaa') this.addressStep(this.aaaa, TYPE.AAAA, 'srv');
      else if (this.phase === 'srv') this.srvStep();
      else if (this.phase === 'any') this.anyStep();
      else if (this.phase === 'index') this.indexStep();
      else {
        this.finishStep();
        // A step of copying (a millisecond or two) counts as that many names' work, so the caller's deadline holds.
        left -= NAMES_PER_FINISH_STEP;
      }
    }
    if (this.finished === null) return null;
    const { entries, starts, bytes } = this.finished;
    // When the index holds every name, the table finds names there: the map and the strings can go.
    const names = this.readsBack ? null : { byName: this.names, byNumber: this.order };
    return new AnswerTable(this.zone, names, this.index, this.slots, entries, starts, bytes, this.aOrder.taken(), this.srvOrder.taken(), this.readsBack);
  }

  /**
   * Frees at once what a build given up before its end holds outside the heap: its arena (sized for the whole table,
   * 76 MB at 100k tasks), lists, slots and name index; TableSwap calls it when a newer zone replaces the build. Only
   * before step() has returned the table: nothing else refers to these buffers until then. The builder is done with.
   */
  abandon(): void {
    if (this.finished !== null) return;
    const { arena, list, recordStarts } = this.store;
    freeMemoryNow(arena.bytes.buffer, list.items.buffer, recordStarts.items.buffer, this.slots.buffer, this.parents.items.buffer, this.aOrder.items.buffer, this.srvOrder.items.buffer);
    this.index.free();
    this.phase = 'done';
  }

  private namesStep(): void {
    const next = this.sources[0]?.next();
    if (next !== undefined && next.done !== true) {
      const [name, values] = next.value;
      this.addWithAncestors(name);
      // A: 16 bytes, AAAA: 28; SRV: the record with a compressed target plus its share of glue, typically 40–60.
      this.estimate += values.length * (this.sources.length === 3 ? 16 : this.sources.length === 2 ? 28 : 56);
      return;
    }
    this.sources.shift();
    if (this.sources.length > 0) return;
    this.store = new Entries(this.estimate + 4096);
    this.slots = new Int32Array(this.order.length * SLOTS).fill(-1);
    // Sized to the names exactly: from an estimate, doubling left half of a 13 MB buffer unused at 100k tasks.
    let keyBytes = 0;
    for (const name of this.order) keyBytes += name.length;
    this.index = new NameIndex(this.order.length, keyBytes);
    // The zone needs the same set for its general path (and for encoding the apex below): hand it over.
    this.zone.adoptNames(this.names);
    this.phase = 'a';
  }

  private addName(name: string): number {
    const index = this.order.length;
    this.names.set(name, index);
    this.order.push(name);
    this.parents.push(-1);
    return index;
  }

  /** As zone.ts's addWithAncestors: empty non-terminals between a name and the apex exist too. */
  private addWithAncestors(name: string): void {
    let current = name;
    let child = -1;
    while (current.length > this.zone.apex.length) {
      const known = this.names.get(current);
      const index = known ?? this.addName(current);
      if (child >= 0) this.parents.items[child] = index;
      if (known !== undefined) return;
      child = index;
      current = current.slice(current.indexOf('.') + 1);
    }
    if (child >= 0 && current === this.zone.apex) this.parents.items[child] = 0;
  }

  /** Notes a positive entry for (name, slot) and what ANY will be: that entry alone, or all of them (later). */
  private setSlot(index: number, slot: number, entry: number): void {
    const base = index * SLOTS;
    this.slots[base + slot] = entry;
    const any = this.slots[base + SLOT.ANY] ?? -1;
    if (any < 0) this.slots[base + SLOT.ANY] = entry;
    else if (any !== -2) {
      this.slots[base + SLOT.ANY] = -2; // more than one type: built in the 'any' phase
      this.mixed.push(index);
    }
  }

  private addressStep(source: Iterator<[string, readonly string[]]>, type: number, next: Phase): void {
    const item = source.next();
    if (item.done === true) {
      this.phase = next;
      return;
    }
    const [name, ips] = item.value;
    const index = this.names.get(name) ?? -1;
    if (ips.length === 0) this.readsBack = false;
    if (index < 0 || ips.length === 0) return;
    if (type === TYPE.A) this.aOrder.push(index);
    const entry = this.store.begin();
    const tail = type === TYPE.A ? A_TAIL : AAAA_TAIL;
    this.store.arena.ensure(ips.length * (2 + tail));
    for (const ip of ips) {
      this.store.recordStarts.push(this.store.arena.used);
      this.store.arena.u16(QUESTION_POINTER); // the owner is the question name
      this.address(ip, type);
    }
    this.setSlot(index, type === TYPE.A ? SLOT.A : SLOT.AAAA, this.store.finish(entry, this.store.arena.used, ips.length, 0));
  }

  private address(ip: string, type: number): void {
    const arena = this.store.arena;
    if (type === TYPE.A) {
      this.head(TYPE.A, 4);
      arena.u32(ipv4Number(ip));
    } else {
      this.head(TYPE.AAAA, 16);
      ipv6Bytes(ip).copy(arena.bytes, arena.used);
      arena.used += 16;
    }
  }

  /** Type, class IN, TTL and RDLENGTH; returns where RDLENGTH is, to patch when it is not known yet. */
  private head(type: number, rdlength: number): number {
    const arena = this.store.arena;
    arena.u16(type);
    arena.u16(1);
    arena.u32(this.ttl);
    arena.u16(rdlength);
    return arena.used - 2;
  }

  /**
   * Where compression of `name` (number `nameIndex`, or -1 when it is not in the table) against `question`
   * (number `questionIndex`) cuts both, packed as table-arena.ts's sharedSuffix packs it.
   */
  private cuts(name: string, nameIndex: number, question: string, questionIndex: number): number {
    if (nameIndex < 0) return sharedSuffix(name, question);
    let a = nameIndex;
    let b = questionIndex;
    const parents = this.parents.items;
    const order = this.order;
    while (a !== b && a >= 0 && b >= 0) {
      if ((order[a]?.length ?? 0) >= (order[b]?.length ?? 0)) a = parents[a] ?? -1;
      else b = parents[b] ?? -1;
    }
    const shared = a === b && a >= 0 ? (order[a]?.length ?? 0) : 0;
    return (name.length - shared) * 65536 + (question.length - shared);
  }

  /** SRV answers (priority 0, the zone's weight) and, as additional data, the first A and AAAA of each target. */
  private srvStep(): void {
    const item = this.srv.next();
    if (item.done === true) {
      this.phase = 'any';
      return;
    }
    const [question, targets] = item.value;
    const questionIndex = this.names.get(question) ?? -1;
    if (targets.length === 0) this.readsBack = false;
    if (questionIndex < 0 || targets.length === 0) return;
    this.srvOrder.push(questionIndex);
    // Where each record's target is cut for compression against this question. Targets come in runs (a task's
    // ports share its target): each run's target is looked up once.
    const cuts: number[] = [];
    let last = '';
    let lastCuts = 0;
    for (const { target } of targets) {
      if (target !== last) {
        last = target;
        const targetIndex = this.names.get(target) ?? -1;
        // A target outside the table is not checked by the index: its bytes give it back only when it is ASCII.
        if (targetIndex < 0 && !isAscii(target)) this.readsBack = false;
        lastCuts = this.cuts(target, targetIndex, question, questionIndex);
      }
      cuts.push(lastCuts);
    }
    const same = this.recentSrv.find((recent) => sameSrvBytes(recent.targets, recent.cuts, targets, cuts));
    if (same !== undefined) {
      this.setSlot(questionIndex, SLOT.SRV, same.entry);
      return;
    }
    const arena = this.store.arena;
    const weight = this.zone.params.srvWeight;
    const entry = this.store.begin();
    for (let r = 0; r < targets.length; r++) {
      const { target, port } = targets[r] as SrvTarget;
      arena.ensure(2 + 10 + 6 + target.length + 2);
      this.store.recordStarts.push(arena.used);
      arena.u16(QUESTION_POINTER);
      const rdlengthAt = this.head(TYPE.SRV, 0);
      const rdataStart = arena.used;
      arena.u16(0);
      arena.u16(weight);
      arena.u16(port);
      arena.writeName(target, cuts[r] ?? 0);
      arena.bytes.writeUInt16BE(arena.used - rdataStart, rdlengthAt);
    }
    const answersEnd = arena.used;
    let additional = 0;
    // Each distinct target once, in order of first appearance: short lists are scanned, long ones get a Set.
    const seen = targets.length > 32 ? new Set<string>() : null;
    for (let t = 0; t < targets.length; t++) {
      const target = targets[t]?.target ?? '';
      let repeated = false;
      if (seen !== null) {
        repeated = seen.has(target);
        seen.add(target);
      } else {
        for (let u = 0; u < t && !repeated; u++) repeated = targets[u]?.target === target;
      }
      if (!repeated) additional += this.glue(target, question, questionIndex);
    }
    const finished = this.store.finish(entry, answersEnd, targets.length, additional);
    this.setSlot(questionIndex, SLOT.SRV, finished);
    if (this.recentSrv.length === RECENT_SRV_SETS) this.recentSrv.shift();
    this.recentSrv.push({ targets, cuts, entry: finished });
  }

  /** The target's first A and first AAAA record, owned by the compressed target name; returns how many. */
  private glue(target: string, question: string, questionIndex: number): number {
    const index = this.names.get(target) ?? -1;
    if (index < 0) return 0;
    let count = 0;
    const cuts = this.cuts(target, index, question, questionIndex);
    for (let slot = SLOT.A; slot <= SLOT.AAAA; slot++) {
      const entry = this.slots[index * SLOTS + slot] ?? -1;
      if (entry < 0) continue;
      // Copy the tail of that entry's first record: everything after its owner pointer.
      const first = this.store.firstRecord(entry);
      const tail = slot === SLOT.A ? A_TAIL : AAAA_TAIL;
      this.store.arena.writeName(target, cuts);
      this.store.arena.ensure(tail);
      this.store.arena.copyWithin(first + 2, first + 2 + tail);
      count++;
    }
    return count;
  }

  /** ANY for names with several types: their answers in type order (A, AAAA, SRV) and the SRV glue; then the apex. */
  private anyStep(): void {
    const index = this.mixed[this.mixedDone++];
    if (index !== undefined) {
      const base = index * SLOTS;
      const parts = [SLOT.A, SLOT.AAAA, SLOT.SRV].map((slot) => this.slots[base + slot] ?? -1).filter((e) => e >= 0);
      this.slots[base + SLOT.ANY] = this.store.concat(parts, this.slots[base + SLOT.SRV] ?? -1);
      return;
    }
    // The apex has every type (SOA, NS and its glue, perhaps A): the zone encodes it, and it is copied.
    for (const [type, slot] of SLOT_OF_TYPE) this.slots[slot] = this.store.copyEncoded(this.zone.encode(this.zone.apex, type));
    this.phase = 'index';
  }

  /** The table's arrays and bytes trimmed and copied, a part per call (Entries.doneSteps). */
  private finishStep(): void {
    this.finishing ??= this.store.doneSteps();
    const step = this.finishing.next();
    if (step.done !== true) return;
    this.finished = step.value;
    this.phase = 'done';
  }

  private indexStep(): void {
    if (this.indexed === this.order.length) {
      this.phase = 'finish';
      return;
    }
    if (!this.index.add(this.order[this.indexed] ?? '', this.indexed)) this.readsBack = false;
    this.indexed++;
  }
}
