// Snapshot → RecordSet: every A, AAAA and SRV record mesos-dns would publish for a Mesos state (reference §1.2–1.4).
// Pure and deterministic: the same snapshot and options give the same records in the same order.
import { isIP } from 'node:net';
import type { Diagnostic, Framework, HostPort, IpSource, MesosState, Task } from '../state-poller/model.js';
import { domainFrag, fitLabel, label, slaveIdTail, taskIdHash, type LabelSpec } from './names.js';

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

export interface EnumeratedTask {
  readonly name: string;
  readonly id: string;
  readonly records: readonly EnumeratedRecord[];
}

export interface EnumeratedFramework {
  readonly name: string;
  readonly tasks: readonly EnumeratedTask[];
}

/** All records of the zone. Names are lower case and fully qualified; maps keep insertion order. */
export interface RecordSet {
  /** The zone apex, e.g. "mesos." */
  readonly apex: string;
  readonly a: ReadonlyMap<string, readonly string[]>;
  readonly aaaa: ReadonlyMap<string, readonly string[]>;
  readonly srv: ReadonlyMap<string, readonly SrvTarget[]>;
  readonly frameworks: readonly EnumeratedFramework[];
  readonly diagnostics: readonly Diagnostic[];
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
}

/** The longest name DNS allows, in presentation form with the trailing dot. */
const MAX_NAME_LENGTH = 254;

/** Collects records as ordered sets, fitting every label to 63 octets. */
class RecordBuilder {
  readonly a = new Map<string, string[]>();
  readonly aaaa = new Map<string, string[]>();
  readonly srv = new Map<string, SrvTarget[]>();
  readonly diagnostics: Diagnostic[] = [];
  private readonly seenSrv = new Map<string, Set<string>>();

  /** Applies switchyard's long-label rule to every label; null (with a diagnostic) for names DNS cannot carry. */
  fit(name: string): string | null {
    const labels = name.slice(0, -1).split('.');
    if (labels.some((l) => l === '')) {
      this.skip(name, 'the name has an empty label');
      return null;
    }
    const fitted = `${labels.map(fitLabel).join('.')}.`;
    if (fitted.length > MAX_NAME_LENGTH) {
      this.skip(name, 'the name is longer than 253 octets');
      return null;
    }
    return fitted;
  }

  skip(subject: string, message: string): void {
    this.diagnostics.push({ code: 'SWY_DNS_NAME_SKIPPED', source: 'dns', subject, message });
  }

  /** Adds an address record; returns the record as published, or null when it was a duplicate or unusable. */
  address(rawName: string, ip: string): EnumeratedRecord | null {
    const name = this.fit(rawName);
    const family = isIP(ip);
    if (name === null || family === 0) return null;
    const map = family === 4 ? this.a : this.aaaa;
    const values = map.get(name) ?? [];
    if (values.includes(ip)) return null;
    values.push(ip);
    map.set(name, values);
    return { name, host: ip, rtype: family === 4 ? 'A' : 'AAAA' };
  }

  service(rawName: string, rawTarget: string, port: number): EnumeratedRecord | null {
    const name = this.fit(rawName);
    const target = this.fit(rawTarget);
    if (name === null || target === null) return null;
    const key = `${target}:${port}`;
    const seen = this.seenSrv.get(name) ?? new Set<string>();
    if (seen.has(key)) return null;
    seen.add(key);
    this.seenSrv.set(name, seen);
    const values = this.srv.get(name) ?? [];
    values.push({ target, port });
    this.srv.set(name, values);
    return { name, host: key, rtype: 'SRV' };
  }
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
    } else if (out.address(`master.${tail}`, master.host) === null) {
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

interface TaskContext {
  readonly taskName: string;
  readonly canonical: string;
  readonly frameworkName: string;
  readonly tail: string;
}

function addTaskPass(out: RecordBuilder, ctx: TaskContext, task: Task, taskIps: readonly string[], agentIps: readonly string[], spec: LabelSpec): EnumeratedRecord[] {
  const records: EnumeratedRecord[] = [];
  const keep = (record: EnumeratedRecord | null): void => {
    if (record !== null) records.push(record);
  };
  const { taskName, canonical, frameworkName: fname, tail } = ctx;
  const arec = `${taskName}.${fname}`;
  for (const ip of taskIps) {
    keep(out.address(`${arec}${tail}`, ip));
    keep(out.address(`${canonical}.${fname}${tail}`, ip));
  }
  for (const ip of agentIps) {
    keep(out.address(`${arec}.slave${tail}`, ip));
    keep(out.address(`${canonical}.${fname}.slave${tail}`, ip));
  }
  const slaveTarget = `${canonical}.${fname}.slave${tail}`;
  for (const port of task.ports) {
    for (const proto of ['_tcp', '_udp']) {
      keep(out.service(`_${taskName}.${proto}.${fname}.slave${tail}`, slaveTarget, port));
      if (task.discovery === null) keep(out.service(`_${taskName}.${proto}.${fname}${tail}`, slaveTarget, port));
    }
  }
  for (const port of task.discovery?.ports ?? []) {
    const target = `${canonical}.${fname}${tail}`;
    const proto = label(port.protocol, spec);
    const protos = proto === '' ? ['tcp', 'udp'] : [proto];
    const portName = label(port.name, spec);
    for (const p of protos) {
      keep(out.service(`_${taskName}._${p}.${fname}${tail}`, target, port.number));
      if (portName !== '') keep(out.service(`_${portName}._${taskName}._${p}.${fname}${tail}`, target, port.number));
    }
  }
  return records;
}

function addFramework(out: RecordBuilder, fw: Framework, options: RecordOptions, agents: ReadonlyMap<string, readonly string[]>): EnumeratedFramework {
  const tail = `.${options.domain}.`;
  const fname = domainFrag(fw.name, options.spec);
  const tasks: EnumeratedTask[] = [];
  if (fname === '') {
    out.skip(fw.name, 'the framework name has no characters a DNS label can carry');
    return { name: fw.name, tasks };
  }
  for (const ip of fw.ips) out.address(`${fname}${tail}`, ip);
  if (fw.port !== null && fw.ips.length > 0) out.service(`_framework._tcp.${fname}${tail}`, `${fname}${tail}`, fw.port);

  for (const task of fw.tasks) {
    const agentIps = agents.get(task.agentId) ?? [];
    const taskIps = taskAddresses(task, agentIps, options.ipSources);
    const suffix = `-${taskIdHash(task.id)}-${slaveIdTail(task.agentId)}`;
    const names: string[] = [];
    if (task.discovery !== null) {
      // mesos-dns's LEGACY pass: the raw DiscoveryInfo name, dots and all, before the sanitised one.
      if (options.legacyDiscoveryNames) names.push(task.discovery.name.toLowerCase());
      names.push(label(task.discovery.name, options.spec));
    } else {
      names.push(label(task.name, options.spec));
    }
    const records: EnumeratedRecord[] = [];
    for (const taskName of names) {
      if (taskName === '') {
        out.skip(task.id, `the task name "${task.name}" has no characters a DNS label can carry`);
        continue;
      }
      const ctx = { taskName, canonical: `${taskName}${suffix}`, frameworkName: fname, tail };
      records.push(...addTaskPass(out, ctx, task, taskIps, agentIps, options.spec));
    }
    tasks.push({ name: task.name, id: task.id, records });
  }
  return { name: fw.name, tasks };
}

/** Builds every record of the zone from a Mesos state. A null state gives the records that need no state (ns). */
export function buildRecords(state: MesosState | null, options: RecordOptions): RecordSet {
  const out = new RecordBuilder();
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
    for (const fw of state.frameworks) frameworks.push(addFramework(out, fw, options, agents));
  }
  if (options.nsName.endsWith(tail) || options.nsName === `${options.domain}.`) {
    for (const ip of options.nsAddresses) out.address(options.nsName, ip);
  }
  return {
    apex: `${options.domain}.`,
    a: out.a,
    aaaa: out.aaaa,
    srv: out.srv,
    frameworks,
    diagnostics: out.diagnostics,
  };
}

/** Exposed for the master-record table test. */
export function masterRecordsOnly(domain: string, masters: readonly HostPort[], leader: HostPort | null): RecordSet {
  const out = new RecordBuilder();
  addMasterRecords(out, domain, masters, leader);
  return { apex: `${domain}.`, a: out.a, aaaa: out.aaaa, srv: out.srv, frameworks: [], diagnostics: out.diagnostics };
}
