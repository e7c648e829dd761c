// The collector behind buildRecords: ordered, de-duplicated A/AAAA/SRV sets under names fitted to DNS's limits.
// Pure. Names are fitted once per slot and callers keep slots for names they reuse (every task of an app shares
// most of its names), because building, fitting and hashing name strings dominated a rebuild at 100k tasks.
import { isIP } from 'node:net';
import type { Diagnostic } from '../state-poller/model.js';
import { fitLabel } from './names.js';

export interface SrvTarget {
  /** Fully qualified, lower case, with the trailing dot. */
  readonly target: string;
  readonly port: number;
}

export interface EnumeratedRecord {
  readonly name: string;
  /** An address for A/AAAA, "target:port" for SRV (the mesos-dns /v1/enumerate format). */
  readonly host: string;
  readonly rtype: 'A' | 'AAAA' | 'SRV';
}

/** The longest name DNS allows, in presentation form with the trailing dot. */
const MAX_NAME_LENGTH = 254;
/** Record sets up to this size are searched for duplicates; larger ones get a Set. */
const SCAN_LIMIT = 64;
/** Sets visited between yields of trim() (well under a millisecond's worth). */
const TRIM_PER_STEP = 4096;

/**
 * One name as published: `name` is the fitted name, or null (with the reason) when DNS cannot carry it. The slot
 * remembers the name's record sets once looked up (sets are never replaced, so the references stay right).
 */
export class NameSlot {
  a: string[] | undefined = undefined;
  aaaa: string[] | undefined = undefined;
  srv: SrvTarget[] | undefined = undefined;
  /**
   * The last SRV value that pointed at this name. A task's port is published under several SRV names in a row
   * (_tcp and _udp, the port's own name): they share one immutable value, which halves the RecordSet's SRV objects.
   */
  pointedAt: SrvTarget | undefined = undefined;

  constructor(
    readonly raw: string,
    readonly name: string | null,
    readonly problem: string,
  ) {}
}

/**
 * True when the fully qualified name is ASCII, has labels of 1 to 63 characters and fits MAX_NAME_LENGTH:
 * the long-label rule leaves such a name as it is, so one scan replaces split/map/join.
 */
function plainName(name: string): boolean {
  if (name.length > MAX_NAME_LENGTH || name.charCodeAt(name.length - 1) !== 0x2e) return false;
  let labelLength = 0;
  for (let i = 0; i < name.length - 1; i++) {
    const c = name.charCodeAt(i);
    if (c === 0x2e) {
      if (labelLength === 0) return false;
      labelLength = 0;
    } else if (c > 0x7f || ++labelLength > 63) {
      return false;
    }
  }
  return labelLength > 0;
}

/** switchyard's long-label rule applied to every label, or why the name cannot be published. */
function fitName(name: string): string | { readonly problem: string } {
  if (plainName(name)) return name;
  const labels = name.slice(0, -1).split('.');
  if (labels.some((l) => l === '')) return { problem: 'the name has an empty label' };
  const fitted = `${labels.map(fitLabel).join('.')}.`;
  if (fitted.length > MAX_NAME_LENGTH) return { problem: 'the name is longer than 253 octets' };
  return fitted;
}

function sameValue(a: string | SrvTarget, b: string | SrvTarget): boolean {
  if (typeof a === 'string' || typeof b === 'string') return a === b;
  return a.port === b.port && a.target === b.target;
}

const keyOf = (value: string | SrvTarget): string => (typeof value === 'string' ? value : `${value.target}:${value.port}`);

export class RecordBuilder {
  readonly a = new Map<string, string[]>();
  readonly aaaa = new Map<string, string[]>();
  readonly srv = new Map<string, SrvTarget[]>();
  readonly diagnostics: Diagnostic[] = [];
  /** Value keys of the record sets that grew past SCAN_LIMIT. */
  private readonly index = new Map<readonly (string | SrvTarget)[], Set<string>>();

  /**
   * `enumerate`: return each record added as /v1/enumerate shows it. Without, address() and service() return null
   * and make no object per record (1.2M of them at 100k tasks, all garbage when nobody enumerates).
   */
  constructor(private readonly enumerate = true) {}

  /** The slot of a name (a fresh object each time; callers cache the ones they reuse). */
  slot(raw: string): NameSlot {
    const fitted = fitName(raw);
    return typeof fitted === 'string' ? new NameSlot(raw, fitted, '') : new NameSlot(raw, null, fitted.problem);
  }

  skip(subject: string, message: string): void {
    this.diagnostics.push({ code: 'SWY_DNS_NAME_SKIPPED', source: 'dns', subject, message });
  }

  /** The fitted name, or null after recording why it was skipped (once per use, as each use is one record lost). */
  private nameOf(slot: NameSlot): string | null {
    if (slot.name === null) this.skip(slot.raw, slot.problem);
    return slot.name;
  }

  /** Adds an address record; returns the record as published, or null when it was a duplicate or unusable (or not enumerated). */
  address(at: NameSlot | string, ip: string): EnumeratedRecord | null {
    const name = this.addAddress(at, ip);
    // addAddress took only a valid address: a colon tells the families apart.
    return name === null ? null : this.published(name, ip, ip.includes(':') ? 'AAAA' : 'A');
  }

  /**
   * Adds an address record; returns the fitted name it was added under, or null when it was a duplicate or
   * unusable. Whether a record was added, whether or not this build enumerates (address() returns null for every
   * record then): mesos-dns numbers a master only when its `master.` record was new.
   */
  addAddress(at: NameSlot | string, ip: string): string | null {
    const slot = typeof at === 'string' ? this.slot(at) : at;
    const name = this.nameOf(slot);
    const family = isIP(ip);
    if (name === null || family === 0) return null;
    let values = family === 4 ? slot.a : slot.aaaa;
    if (values === undefined) {
      const map = family === 4 ? this.a : this.aaaa;
      const found = map.get(name);
      // A set's first value is never a duplicate. A literal holds exactly one value; `[]` + push would reserve 17.
      values = found ?? [ip];
      if (found === undefined) map.set(name, values);
      if (family === 4) slot.a = values;
      else slot.aaaa = values;
      if (found === undefined) return name;
    }
    if (!this.addOnce(values, ip)) return null;
    values.push(ip);
    return name;
  }

  service(at: NameSlot | string, to: NameSlot | string, port: number): EnumeratedRecord | null {
    const slot = typeof at === 'string' ? this.slot(at) : at;
    const name = this.nameOf(slot);
    const toSlot = typeof to === 'string' ? this.slot(to) : to;
    const target = this.nameOf(toSlot);
    if (name === null || target === null) return null;
    let value = toSlot.pointedAt;
    if (value?.port !== port) {
      value = { target, port };
      toSlot.pointedAt = value;
    }
    let values = slot.srv;
    if (values === undefined) {
      const found = this.srv.get(name);
      values = found ?? [value];
      if (found === undefined) this.srv.set(name, values);
      slot.srv = values;
      if (found === undefined) return this.published(name, value, 'SRV');
    }
    if (!this.addOnce(values, value)) return null;
    values.push(value);
    return this.published(name, value, 'SRV');
  }

  /** A record just added, as /v1/enumerate shows it; null when this build does not enumerate. */
  private published(name: string, value: string | SrvTarget, rtype: EnumeratedRecord['rtype']): EnumeratedRecord | null {
    return this.enumerate ? { name, host: keyOf(value), rtype } : null;
  }

  /**
   * Every set of more than one value replaced by a copy of its own size (the maps keep their order: only values
   * change). Sets start as a literal of one value and grow by push, and V8 reserves room as an array grows (17 slots
   * after the first push, then half as much again each time), which is most of a small set's memory; so a set of
   * more than one value is one that grew, and no list of them is kept (270k arrays at 100k tasks). A generator, so
   * that a build in slices also trims in slices; it yields after every TRIM_PER_STEP sets it visits.
   */
  *trim(): Generator<void, void> {
    yield* this.trimMap(this.a);
    yield* this.trimMap(this.aaaa);
    yield* this.trimMap(this.srv);
    this.index.clear();
  }

  private *trimMap<T>(map: Map<string, T[]>): Generator<void, void> {
    let visited = 0;
    for (const [name, values] of map) {
      if (values.length > 1) map.set(name, values.slice());
      if (++visited % TRIM_PER_STEP === 0) yield;
    }
  }

  /** Whether `value` is new in `values` (and remembers its key once the set is indexed). */
  private addOnce(values: readonly (string | SrvTarget)[], value: string | SrvTarget): boolean {
    // Only sets past SCAN_LIMIT have an index, so smaller ones skip the lookup.
    const index = values.length > SCAN_LIMIT ? this.index.get(values) : undefined;
    if (index !== undefined) {
      const key = keyOf(value);
      if (index.has(key)) return false;
      index.add(key);
      return true;
    }
    for (const v of values) if (sameValue(v, value)) return false;
    if (values.length >= SCAN_LIMIT) this.index.set(values, new Set([...values.map(keyOf), keyOf(value)]));
    return true;
  }
}
