// Snapshot → RecordSet: every A, AAAA and SRV record mesos-dns would publish for a Mesos state (reference §1.2–1.4).
// Pure and deterministic: the same snapshot and options give the same records in the same order.
import type { Diagnostic, Framework, HostPort, IpSource, MesosState, Task } from '../state-poller/model.js';
import { domainFrag, label, slaveIdTail, taskIdHash, type LabelSpec } from './names.js';
import { RecordBuilder, type EnumeratedRecord, type NameSlot, type SrvTarget } from './record-builder.js';
import { finish } from './steps.js';

export type { EnumeratedRecord, SrvTarget } from './record-builder.js';

export interface EnumeratedTask {
  readonly name: string;
  readonly id: string;
  readonly records: readonly EnumeratedRecord[];
}

export interface EnumeratedFramework {
  readonly name: string;
  readonly tasks: readonly EnumeratedTask[];
}

/**
 * One type's records by name: a Map as records are built, or read back from the zone's answer table once it is
 * built (dns/table-records.ts). Iterated in the order the names were added.
 */
export interface RecordMap<V> extends Iterable<[string, V]> {
  readonly size: number;
  get(name: string): V | undefined;
  has(name: string): boolean;
  keys(): IterableIterator<string>;
  values(): IterableIterator<V>;
  entries(): IterableIterator<[string, V]>;
}

/** All records of the zone. Names are lower case and fully qualified; maps keep insertion order. */
export interface RecordSet {
  /** The zone apex, e.g. "mesos." */
  readonly apex: string;
  readonly a: RecordMap<readonly string[]>;
  readonly aaaa: RecordMap<readonly string[]>;
  readonly srv: RecordMap<readonly SrvTarget[]>;
  readonly frameworks: readonly EnumeratedFramework[];
  readonly diagnostics: readonly Diagnostic[];
  /**
   * For records read from an answer table (dns/table-records.ts): keeps that table's memory until the returned
   * function is called, for a reader that goes on over several turns of the event loop (/v1/axfr's body). Absent
   * when the records are the RecordSet's own maps, which the garbage collector keeps as long as they are read.
   */
  readonly hold?: () => () => void;
}

export interface RecordOptions {
  /** Lower case, no trailing dot, e.g. "mesos". */
  readonly domain: string;
  readonly spec: LabelSpec;
  readonly ipSources: readonly IpSource[];
  /** The configured `masters` list, for master0..N. */
  readonly masters: readonly HostPort[];
  /** SOAMname, fully qualified; it gets an A/AAAA record with `nsAddresses` when it lies inside the zone. */
  readonly nsName: string;
  readonly nsAddresses: readonly string[];
  /** Also publish mesos-dns's second, unsanitised DiscoveryInfo pass. */
  readonly legacyDiscoveryNames: boolean;
  /**
   * Keep each task's records for /v1/enumerate in `frameworks` (default true). The gateway turns it off and builds
   * them when that resource is asked for: at 100k tasks they are 1.2M objects, more than half the RecordSet.
   */
  readonly enumerate?: boolean;
}

/**
 * leader., master., masterN., _leader._tcp/_udp. as mesos-dns's masterRecord builds them: the configured masters
 * are numbered in list order, duplicates are skipped, and a leader missing from the list takes the next index.
 */
function addMasterRecords(out: RecordBuilder, domain: string, masters: readonly HostPort[], leader: HostPort | null): void {
  if (leader === null) return;
  const tail = `${domain}.`;
  out.address(`leader.${tail}`, leader.host);
  out.address(`master.${tail}`, leader.host);
  out.service(`_leader._tcp.${tail}`, `leader.${tail}`, leader.port);
  out.service(`_leader._udp.${tail}`, `leader.${tail}`, leader.port);

  let leaderNumbered = false;
  let index = 0;
  for (const master of masters) {
    // mesos-dns compares the address strings, not the parsed values.
    const isLeader = master.raw === leader.raw;
    if (isLeader) {
      if (leaderNumbered) continue;
      leaderNumbered = true;
    } else if (out.addAddress(`master.${tail}`, master.host) === null) {
      continue;
    }
    out.address(`master${index}.${tail}`, master.host);
    index++;
  }
  if (!leaderNumbered) out.address(`master${index}.${tail}`, leader.host);
}

function taskAddresses(task: Task, agentIps: readonly string[], sources: readonly IpSource[]): readonly string[] {
  for (const source of sources) {
    const ips = source === 'host' ? agentIps : task.addresses[source];
    if (ips.length > 0) return ips;
  }
  return [];
}

/**
 * The names one task name has in a framework, as slots: every task of an app shares them, so each is built and
 * fitted once per rebuild instead of once per task (and looked up without building a key string).
 */
class SharedNames {
  private host: NameSlot | null = null;
  private slaveHost: NameSlot | null = null;
  /** SRV names by protocol label ("_tcp" …), under `fname.slave` and under `fname`. */
  private readonly slaveSrv = new Map<string, NameSlot>();
  private readonly srv = new Map<string, NameSlot>();
  /** `_port._task._proto` names, by port name then protocol. */
  private readonly named = new Map<string, Map<string, NameSlot>>();

  constructor(
    private readonly out: RecordBuilder,
    readonly taskName: string,
    private readonly fname: string,
    private readonly tail: string,
  ) {}

  /** `task.fname.`: the A/AAAA name of every task of the app. */
  hostName(): NameSlot {
    return (this.host ??= this.out.slot(`${this.taskName}.${this.fname}${this.tail}`));
  }

  /** `task.fname.slave.`: the same, with the agents' addresses. */
  slaveHostName(): NameSlot {
    return (this.slaveHost ??= this.out.slot(`${this.taskName}.${this.fname}.slave${this.tail}`));
  }

  /** `_task._proto.fname.slave.` when `slave`, else `_task._proto.fname.`; `proto` has its "_". */
  srvName(proto: string, slave: boolean): NameSlot {
    const map = slave ? this.slaveSrv : this.srv;
    let slot = map.get(proto);
    if (slot === undefined) {
      slot = this.out.slot(`_${this.taskName}.${proto}.${this.fname}${slave ? '.slave' : ''}${this.tail}`);
      map.set(proto, slot);
    }
    return slot;
  }

  /** `_port._task._proto.fname.`; `proto` has its "_". */
  namedSrv(portName: string, proto: string): NameSlot {
    let byProto = this.named.get(portName);
    if (byProto === undefined) {
      byProto = new Map();
      this.named.set(portName, byProto);
    }
    let slot = byProto.get(proto);
    if (slot === undefined) {
      slot = this.out.slot(`_${portName}._${this.taskName}.${proto}.${this.fname}${this.tail}`);
      byProto.set(proto, slot);
    }
    return slot;
  }
}

interface TaskContext {
  readonly shared: SharedNames;
  readonly canonical: string;
  readonly frameworkName: string;
  readonly tail: string;
  /** label() of DiscoveryInfo protocols and port names, which repeat across tasks. */
  readonly labels: Map<string, string>;
  /** "_" + a protocol label, which repeats across tasks too. */
  readonly protos: Map<string, string>;
}

function memoLabel(memo: Map<string, string>, text: string, spec: LabelSpec): string {
  let found = memo.get(text);
  if (found === undefined) {
    found = label(text, spec);
    memo.set(text, found);
  }
  return found;
}

/** What addTaskPass does with each record it adds when the build does not enumerate (RecordBuilder returns null). */
const DROP = (): void => undefined;

/** Adds one task's records under one of its names; `records` collects them for /v1/enumerate, or is null. */
function addTaskPass(out: RecordBuilder, ctx: TaskContext, task: Task, taskIps: readonly string[], agentIps: readonly string[], spec: LabelSpec, records: EnumeratedRecord[] | null): void {
  // Without enumeration no list and no closure per task: 100k of each at 100k tasks, all garbage.
  const keep =
    records === null
      ? DROP
      : (record: EnumeratedRecord | null): void => {
          if (record !== null) records.push(record);
        };
  const { shared, canonical, frameworkName: fname, tail } = ctx;
  const host = out.slot(`${canonical}.${fname}${tail}`);
  const slaveHost = out.slot(`${canonical}.${fname}.slave${tail}`);
  if (taskIps.length > 0) {
    const app = shared.hostName();
    for (const ip of taskIps) {
      keep(out.address(app, ip));
      keep(out.address(host, ip));
    }
  }
  if (agentIps.length > 0) {
    const app = shared.slaveHostName();
    for (const ip of agentIps) {
      keep(out.address(app, ip));
      keep(out.address(slaveHost, ip));
    }
  }
  for (const port of task.ports) {
    for (const proto of PROTOCOLS) {
      keep(out.service(shared.srvName(proto, true), slaveHost, port));
      if (task.discovery === null) keep(out.service(shared.srvName(proto, false), slaveHost, port));
    }
  }
  for (const port of task.discovery?.ports ?? []) {
    const proto = memoLabel(ctx.labels, port.protocol, spec);
    const protos = proto === '' ? BOTH_PROTOCOLS : [proto];
    const portName = memoLabel(ctx.labels, port.name, spec);
    for (const p of protos) {
      let underscored = ctx.protos.get(p);
      if (underscored === undefined) {
        underscored = `_${p}`;
        ctx.protos.set(p, underscored);
      }
      // The same name as the "_tcp" SRV name above: `_${taskName}._tcp.${fname}${tail}`.
      keep(out.service(shared.srvName(underscored, false), host, port.number));
      if (portName !== '') keep(out.service(shared.namedSrv(portName, underscored), host, port.number));
    }
  }
}

const PROTOCOLS = ['_tcp', '_udp'] as const;
const BOTH_PROTOCOLS = ['tcp', 'udp'] as const;

/** Tasks done so far in one build, across frameworks, so that many small frameworks still pause. */
interface StepCount {
  tasks: number;
}

/** An agent's id tail, computed once per build (`tails`): tasks share a few agents. */
function agentTail(tails: Map<string, string>, agentId: string): string {
  let tail = tails.get(agentId);
  if (tail === undefined) {
    tail = slaveIdTail(agentId);
    tails.set(agentId, tail);
  }
  return tail;
}

function* addFramework(out: RecordBuilder, fw: Framework, options: RecordOptions, agents: ReadonlyMap<string, readonly string[]>, count: StepCount, agentTails: Map<string, string>): Generator<void, EnumeratedFramework> {
  const tail = `.${options.domain}.`;
  const fname = domainFrag(fw.name, options.spec);
  const tasks: EnumeratedTask[] = [];
  const keepTasks = options.enumerate !== false;
  if (fname === '') {
    out.skip(fw.name, 'the framework name has no characters a DNS label can carry');
    return { name: fw.name, tasks };
  }
  for (const ip of fw.ips) out.address(`${fname}${tail}`, ip);
  if (fw.port !== null && fw.ips.length > 0) out.service(`_framework._tcp.${fname}${tail}`, `${fname}${tail}`, fw.port);

  const sharedNames = new Map<string, SharedNames>();
  const labels = new Map<string, string>();
  const protos = new Map<string, string>();
  for (const task of fw.tasks) {
    if (++count.tasks % TASKS_PER_STEP === 0) yield;
    const agentIps = agents.get(task.agentId) ?? [];
    const taskIps = taskAddresses(task, agentIps, options.ipSources);
    const suffix = `-${taskIdHash(task.id)}-${agentTail(agentTails, task.agentId)}`;
    const names: string[] = [];
    // Task and DiscoveryInfo names repeat in every task of an app: labelled once per framework (memoLabel).
    if (task.discovery !== null) {
      // mesos-dns's LEGACY pass: the raw DiscoveryInfo name, dots and all, before the sanitised one.
      const sanitised = memoLabel(labels, task.discovery.name, options.spec);
      const legacy = task.discovery.name.toLowerCase();
      // A legacy name equal to the sanitised one would only add the same records again (all duplicates).
      if (options.legacyDiscoveryNames && (legacy !== sanitised || sanitised === '')) names.push(legacy);
      names.push(sanitised);
    } else {
      names.push(memoLabel(labels, task.name, options.spec));
    }
    const records: EnumeratedRecord[] | null = keepTasks ? [] : null;
    for (const taskName of names) {
      if (taskName === '') {
        out.skip(task.id, `the task name "${task.name}" has no characters a DNS label can carry`);
        continue;
      }
      let shared = sharedNames.get(taskName);
      if (shared === undefined) {
        shared = new SharedNames(out, taskName, fname, tail);
        sharedNames.set(taskName, shared);
      }
      const ctx = { shared, canonical: `${taskName}${suffix}`, frameworkName: fname, tail, labels, protos };
      addTaskPass(out, ctx, task, taskIps, agentIps, options.spec, records);
    }
    if (records !== null) tasks.push({ name: task.name, id: task.id, records });
  }
  return { name: fw.name, tasks };
}

/** Tasks between the points where recordSteps lets its caller do other work (a few milliseconds' worth). */
const TASKS_PER_STEP = 256;

/**
 * buildRecords as steps: the generator pauses every TASKS_PER_STEP tasks, so an I/O shell can run it in slices
 * (see slices.ts) and keep answering meanwhile; its return value is the RecordSet.
 */
export function* recordSteps(state: MesosState | null, options: RecordOptions): Generator<void, RecordSet> {
  const out = new RecordBuilder(options.enumerate !== false);
  const tail = `.${options.domain}.`;
  const frameworks: EnumeratedFramework[] = [];
  if (state !== null) {
    addMasterRecords(out, options.domain, options.masters, state.leaderAddress);
    const agents = new Map<string, readonly string[]>();
    for (const agent of state.agents) {
      agents.set(agent.id, agent.ips);
      for (const ip of agent.ips) out.address(`slave${tail}`, ip);
      out.service(`_slave._tcp${tail}`, `slave${tail}`, agent.port);
    }
    const count: StepCount = { tasks: 0 };
    const agentTails = new Map<string, string>();
    for (const fw of state.frameworks) frameworks.push(yield* addFramework(out, fw, options, agents, count, agentTails));
  }
  if (options.nsName.endsWith(tail) || options.nsName === `${options.domain}.`) {
    for (const ip of options.nsAddresses) out.address(options.nsName, ip);
  }
  // The sets are kept for as long as this state is served: at their size, not with the room push left.
  yield* out.trim();
  return {
    apex: `${options.domain}.`,
    a: out.a,
    aaaa: out.aaaa,
    srv: out.srv,
    frameworks,
    diagnostics: out.diagnostics,
  };
}

/** Builds every record of the zone from a Mesos state. A null state gives the records that need no state (ns). */
export function buildRecords(state: MesosState | null, options: RecordOptions): RecordSet {
  return finish(recordSteps(state, options));
}

/** Exposed for the master-record table test; `enumerate` as in RecordOptions. */
export function masterRecordsOnly(domain: string, masters: readonly HostPort[], leader: HostPort | null, enumerate = true): RecordSet {
  const out = new RecordBuilder(enumerate);
  addMasterRecords(out, domain, masters, leader);
  finish(out.trim());
  return { apex: `${domain}.`, a: out.a, aaaa: out.aaaa, srv: out.srv, frameworks: [], diagnostics: out.diagnostics };
}
