// The authoritative zone built from a RecordSet: which names exist, and the encoded records for each (name, type).
// Pure: encoding is memoized per zone (its records never change), so each (name, type) is encoded at most once.
import type { AnswerTable } from './answer-table.js';
import type { RecordSet, SrvTarget } from './records.js';
import { tableRecords } from './table-records.js';
import {
  QUESTION_POINTER,
  RCODE,
  TYPE,
  compressionContext,
  encodeCompressedName,
  encodeRecord,
  ipv4Bytes,
  ipv6Bytes,
  soaRdata,
  srvRdata,
  type CompressionContext,
  type SoaFields,
} from './wire.js';

export interface ZoneParams {
  /** TTL of every record (mesos-dns `ttl`). */
  readonly ttl: number;
  /** Weight of every SRV record (mesos-dns `srvRecordDefaultWeight`). */
  readonly srvWeight: number;
  readonly soa: SoaFields;
}

/** The sections of an authoritative answer for one (name, type), each record already encoded. */
export interface EncodedAnswer {
  readonly rcode: number;
  readonly answers: readonly Buffer[];
  readonly authority: readonly Buffer[];
  readonly additional: readonly Buffer[];
}

const OWNER_IS_QUESTION = Buffer.from([QUESTION_POINTER >> 8, QUESTION_POINTER & 0xff]);
/** Every other type gets the same NODATA answer, so it is cached under one stand-in (TXT). */
const SERVED_TYPES: ReadonlySet<number> = new Set([TYPE.A, TYPE.AAAA, TYPE.SRV, TYPE.SOA, TYPE.NS, TYPE.ANY]);

export class Zone {
  readonly apex: string;
  /** The records, until the answer table is built; then the same records read from the table (adoptTable). */
  private recordSet: RecordSet;
  /** The answer table the records are read from (adoptTable), or null while they are the RecordSet's own. */
  private fromTable: AnswerTable | null = null;
  /** How many servers (TableSwaps) answer from this zone or build its table: see enterService. */
  private services = 0;
  readonly params: ZoneParams;
  /**
   * Every name that exists: owners of records, the apex, and empty non-terminals between them. Computed on first
   * use, or handed over by the answer table, which finds the same names while it encodes (in slices, between
   * questions), so that building a zone never blocks the server for the whole walk.
   */
  private existingNames: { has(name: string): boolean } | null = null;
  private readonly cache = new Map<string, EncodedAnswer>();

  constructor(records: RecordSet, params: ZoneParams) {
    this.apex = records.apex;
    this.recordSet = records;
    this.params = params;
  }

  get records(): RecordSet {
    return this.recordSet;
  }

  /**
   * Reads the A and SRV records from `table`, this zone's finished answer table, from now on, so that the maps they
   * were built in can be collected (about 45 MB at 100k tasks): the table holds the same records, in the same order.
   * Not when the table would not give them back exactly (AnswerTable.readsBack: a name or target not ASCII, say).
   */
  adoptTable(table: AnswerTable): void {
    if (table.zone !== this || !table.readsBack || this.fromTable !== null) return;
    this.fromTable = table;
    this.recordSet = tableRecords(table, this.recordSet);
    // The same names (readsBack: the table holds every one), so that the builder's map of them can go too.
    this.existingNames = { has: (name) => table.numberOf(name) >= 0 };
  }

  private get existing(): { has(name: string): boolean } {
    if (this.existingNames === null) {
      const names = new Set<string>([this.apex]);
      for (const map of [this.records.a, this.records.aaaa, this.records.srv]) {
        for (const name of map.keys()) addWithAncestors(names, name, this.apex);
      }
      this.existingNames = names;
    }
    return this.existingNames;
  }

  /** Whether the records are read from `table` (see adoptTable). */
  readsFrom(table: AnswerTable): boolean {
    return this.fromTable === table;
  }

  /**
   * A server starts building this zone's table or answering from it. A zone whose records were read from a table
   * that has since been freed cannot be served again: its records are gone with it (a zone is served once; the
   * gateway makes a new one for each state).
   */
  enterService(): void {
    if (this.fromTable?.isFreed === true) throw new Error(`zone ${this.apex} was retired: its answer table was freed, so its records are gone`);
    this.services++;
  }

  /** A server no longer answers from this zone, nor builds its table. */
  leaveService(): void {
    if (this.services > 0) this.services--;
  }

  /** Whether some server answers from this zone or builds its table. */
  get inService(): boolean {
    return this.services > 0;
  }

  /** Uses `names` (which must hold exactly the names that exist) instead of walking the records again. */
  adoptNames(names: { has(name: string): boolean }): void {
    this.existingNames ??= names;
  }

  /** How many (name, type) answers are memoized; exposed for tests and metrics. */
  get cachedAnswers(): number {
    return this.cache.size;
  }

  /** True when the name is the apex or lies below it. `name` is lower case and fully qualified. */
  contains(name: string): boolean {
    return name === this.apex || name.endsWith(`.${this.apex}`);
  }

  /**
   * The encoded answer for an in-zone question. Answers for existing names are memoized; names that do not exist
   * are not, so questions for random names cannot grow the cache. Types the zone never serves share one entry.
   */
  answer(name: string, qtype: number): EncodedAnswer {
    if (!this.existing.has(name)) return this.build(name, qtype);
    const type = SERVED_TYPES.has(qtype) ? qtype : TYPE.TXT;
    const key = `${type} ${name}`;
    let found = this.cache.get(key);
    if (found === undefined) {
      found = this.build(name, type);
      this.cache.set(key, found);
    }
    return found;
  }

  /** The answer for an in-zone (name, type), encoded afresh; `answer` memoizes this. */
  encode(name: string, qtype: number): EncodedAnswer {
    return this.build(name, qtype);
  }

  /** The authority section of a negative answer (NXDOMAIN or NODATA) to a question for `name` (lower case). */
  negativeAuthority(name: string): Buffer {
    return this.negativeSoa(compressionContext(name));
  }

  private build(name: string, qtype: number): EncodedAnswer {
    const ctx = compressionContext(name);
    if (!this.existing.has(name)) {
      return { rcode: RCODE.NXDOMAIN, answers: [], authority: [this.negativeSoa(ctx)], additional: [] };
    }
    const answers: Buffer[] = [];
    const additional: Buffer[] = [];
    const { a, aaaa, srv } = this.records;
    const atApex = name === this.apex;
    const wants = (type: number): boolean => qtype === type || qtype === TYPE.ANY;
    if (wants(TYPE.A)) for (const ip of a.get(name) ?? []) answers.push(this.addressRecord(OWNER_IS_QUESTION, ip, 4));
    if (wants(TYPE.AAAA)) for (const ip of aaaa.get(name) ?? []) answers.push(this.addressRecord(OWNER_IS_QUESTION, ip, 6));
    if (wants(TYPE.SRV)) {
      const targets = srv.get(name) ?? [];
      for (const t of targets) answers.push(this.srvRecord(t, ctx));
      additional.push(...this.targetAddresses(targets, ctx));
    }
    if (atApex && wants(TYPE.SOA)) {
      answers.push(encodeRecord(OWNER_IS_QUESTION, TYPE.SOA, this.params.ttl, soaRdata(this.params.soa, ctx)));
    }
    if (atApex && wants(TYPE.NS)) {
      answers.push(encodeRecord(OWNER_IS_QUESTION, TYPE.NS, this.params.ttl, encodeCompressedName(this.params.soa.mname, ctx)));
      if (qtype === TYPE.NS) additional.push(...this.nameAddresses(this.params.soa.mname, ctx, false));
    }
    if (answers.length === 0) {
      return { rcode: RCODE.NOERROR, answers, authority: [this.negativeSoa(ctx)], additional: [] };
    }
    return { rcode: RCODE.NOERROR, answers, authority: [], additional };
  }

  private addressRecord(owner: Buffer, ip: string, family: 4 | 6): Buffer {
    return family === 4
      ? encodeRecord(owner, TYPE.A, this.params.ttl, ipv4Bytes(ip))
      : encodeRecord(owner, TYPE.AAAA, this.params.ttl, ipv6Bytes(ip));
  }

  private srvRecord(target: SrvTarget, ctx: CompressionContext): Buffer {
    const rdata = srvRdata(0, this.params.srvWeight, target.port, encodeCompressedName(target.target, ctx));
    return encodeRecord(OWNER_IS_QUESTION, TYPE.SRV, this.params.ttl, rdata);
  }

  /** Additional data for SRV answers: the first A and first AAAA of each distinct target, as mesos-dns gives. */
  private targetAddresses(targets: readonly SrvTarget[], ctx: CompressionContext): Buffer[] {
    const out: Buffer[] = [];
    const seen = new Set<string>();
    for (const { target } of targets) {
      if (seen.has(target)) continue;
      seen.add(target);
      out.push(...this.nameAddresses(target, ctx, true));
    }
    return out;
  }

  private nameAddresses(name: string, ctx: CompressionContext, firstOnly: boolean): Buffer[] {
    const owner = encodeCompressedName(name, ctx);
    const v4 = this.records.a.get(name) ?? [];
    const v6 = this.records.aaaa.get(name) ?? [];
    return [
      ...(firstOnly ? v4.slice(0, 1) : v4).map((ip) => this.addressRecord(owner, ip, 4)),
      ...(firstOnly ? v6.slice(0, 1) : v6).map((ip) => this.addressRecord(owner, ip, 6)),
    ];
  }

  /** The apex SOA for negative answers; its TTL is the negative-caching time of RFC 2308 (min of TTL and MINIMUM). */
  private negativeSoa(ctx: CompressionContext): Buffer {
    const owner = encodeCompressedName(this.apex, ctx);
    const ttl = Math.min(this.params.ttl, this.params.soa.minimum);
    return encodeRecord(owner, TYPE.SOA, ttl, soaRdata(this.params.soa, ctx));
  }
}

/** Adds `name` and every name between it and the apex (empty non-terminals exist too). */
function addWithAncestors(names: Set<string>, name: string, apex: string): void {
  let current = name;
  while (current.length > apex.length && !names.has(current)) {
    names.add(current);
    current = current.slice(current.indexOf('.') + 1);
  }
}
