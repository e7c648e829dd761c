// Mesos /master/state JSON → the normalized MesosState of the Snapshot.
// Pure and deterministic: hostnames are resolved by the caller beforehand and passed in; bad items become diagnostics.
import { isIP } from 'node:net';
import { Interner, Shared, SharedLists } from './intern.js';
import type { Agent, Diagnostic, Discovery, DiscoveryPort, Framework, MesosState, Task, TaskAddresses } from './model.js';
import {
  describeIssues,
  mesosAgentSchema,
  mesosFrameworkSchema,
  mesosStateSchema,
  mesosStatusSchema,
  mesosTaskSchema,
  type MesosStateDoc,
} from './mesos-types.js';
import { statusFields, taskFields, type StatusFields, type TaskFields } from './mesos-fast.js';
import { isIpLiteral, parseUpid } from './upid.js';
import { isRunnable } from './task-filter.js';
import { runToEnd } from './slices.js';

/** Addresses found for each non-IP host name; a missing or empty entry means the name did not resolve. */
export type HostTable = ReadonlyMap<string, readonly string[]>;

export type ParsedState =
  | { readonly ok: true; readonly doc: MesosStateDoc }
  | { readonly ok: false; readonly code: 'SWY_UPSTREAM_NO_LEADER' | 'SWY_UPSTREAM_MALFORMED'; readonly message: string };

const DOCKER_IP_LABEL = 'Docker.NetworkSettings.IPAddress';
const MESOS_IP_LABEL = 'MesosContainerizer.NetworkSettings.IPAddress';

/** Checks the top level of a state document. A failure here rejects the whole poll (the last good state stays). */
export function parseMesosState(raw: unknown): ParsedState {
  const result = mesosStateSchema.safeParse(raw);
  if (result.success) return { ok: true, doc: result.data };
  // NO_LEADER only when the leader is absent or empty and nothing else is wrong; anything else is malformed.
  const leader = typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? (raw as { leader?: unknown }).leader : 0;
  const onlyLeader = result.error.issues.every((issue) => issue.path[0] === 'leader');
  const code = onlyLeader && (leader === undefined || leader === '') ? 'SWY_UPSTREAM_NO_LEADER' : 'SWY_UPSTREAM_MALFORMED';
  return { ok: false, code, message: describeIssues(result.error) };
}

/** A string field of a raw upstream item; hostnamesIn reads only these, normalizeMesos checks the whole item. */
function stringField(item: unknown, key: string): string | undefined {
  if (typeof item !== 'object' || item === null) return undefined;
  const value = (item as Record<string, unknown>)[key];
  return typeof value === 'string' ? value : undefined;
}

/**
 * Host names (not IP literals) in agent and framework pids that must be resolved before normalizing. Reads the pid
 * strings directly rather than parsing every item a second time on each poll.
 */
export function hostnamesIn(doc: MesosStateDoc): string[] {
  const names = new Set<string>();
  const consider = (host: string | undefined): void => {
    if (host !== undefined && host !== '' && !isIpLiteral(host)) names.add(host);
  };
  for (const raw of doc.slaves) consider(parseUpid(stringField(raw, 'pid') ?? '')?.host);
  for (const raw of doc.frameworks) {
    const pid = stringField(raw, 'pid');
    if (pid) consider(parseUpid(pid)?.host);
    else consider(stringField(raw, 'hostname'));
  }
  return [...names].sort();
}

function addressesOf(host: string, hosts: HostTable): readonly string[] {
  if (isIpLiteral(host)) return [host];
  return hosts.get(host) ?? [];
}

/** Parses a Mesos ports range string: "[31000-31001, 31005-31005]"; "[31332]" is one port (mesos-dns panics on it). */
export function parsePortRanges(text: string | null | undefined): number[] | null {
  if (text === null || text === undefined) return [];
  const trimmed = text.trim();
  if (trimmed === '' || trimmed === '[]') return [];
  if (!trimmed.startsWith('[') || !trimmed.endsWith(']')) return null;
  const ports: number[] = [];
  for (const part of trimmed.slice(1, -1).split(',')) {
    const match = /^\s*([0-9]{1,5})\s*(?:-\s*([0-9]{1,5})\s*)?$/.exec(part);
    if (match === null || match[1] === undefined) return null;
    const first = Number(match[1]);
    const last = match[2] === undefined ? first : Number(match[2]);
    if (first > 65535 || last > 65535 || last < first) return null;
    for (let port = first; port <= last; port++) ports.push(port);
  }
  // Kept with the task for as long as its state is served: at its size, without the room push reserved.
  return ports.slice();
}

/** One frozen empty list for every task without addresses of a kind (most tasks have one kind at most). */
const NO_IPS: readonly string[] = Object.freeze([]);

/** A status's fields, or null when it is malformed (such a status is passed over, as mesos-dns does). */
function checkedStatus(raw: unknown): StatusFields | null {
  const fast = statusFields(raw);
  if (fast !== null) return fast;
  const parsed = mesosStatusSchema.safeParse(raw);
  return parsed.success ? parsed.data : null;
}

/** The TASK_RUNNING status with the highest timestamp; mesos-dns reads container addresses only from it. */
function newestRunningStatus(statuses: readonly unknown[]): StatusFields | null {
  let newest: StatusFields | null = null;
  for (const raw of statuses) {
    const status = checkedStatus(raw);
    if (status === null || status.state !== 'TASK_RUNNING') continue;
    if (newest === null || status.timestamp > newest.timestamp) newest = status;
  }
  return newest;
}

function validIps(values: readonly (string | null | undefined)[]): readonly string[] {
  const out: string[] = [];
  for (const value of values) {
    if (value && isIP(value) !== 0 && !out.includes(value)) out.push(value);
  }
  return out.length === 0 ? NO_IPS : out.slice();
}

function taskAddresses(status: StatusFields | null): TaskAddresses {
  if (status === null) return { netinfo: NO_IPS, mesos: NO_IPS, docker: NO_IPS };
  const labels = status.labels ?? [];
  const netinfo: (string | undefined | null)[] = [];
  for (const info of status.container_status?.network_infos ?? []) {
    const list = info.ip_addresses ?? [];
    // Mesos 0.25 put a single ip_address on the network_info; it is read only when the newer list is empty.
    if (list.length > 0) for (const entry of list) netinfo.push(entry.ip_address);
    else netinfo.push(info.ip_address);
  }
  return {
    netinfo: validIps(netinfo),
    mesos: validIps(labels.filter((l) => l.key === MESOS_IP_LABEL).map((l) => l.value ?? '')),
    docker: validIps(labels.filter((l) => l.key === DOCKER_IP_LABEL).map((l) => l.value ?? '')),
  };
}

/**
 * What tasks of one state share (see Shared): each distinct ports resource text's list, each DiscoveryInfo port and
 * each list of them. Host port numbers, names and protocols repeat across a cluster's tasks; each task's own
 * Discovery object (with its name) is not shared.
 */
interface TaskParts {
  readonly portLists: Shared<readonly number[]>;
  /** By number, protocol and name. */
  readonly discoveryPorts: Map<number, Map<string, Map<string, DiscoveryPort>>>;
  readonly discoveryLists: SharedLists<DiscoveryPort>;
}

function discoveryPort(parts: TaskParts, number: number, protocol: string, name: string): DiscoveryPort {
  let byProtocol = parts.discoveryPorts.get(number);
  if (byProtocol === undefined) parts.discoveryPorts.set(number, (byProtocol = new Map()));
  let byName = byProtocol.get(protocol);
  if (byName === undefined) byProtocol.set(protocol, (byName = new Map()));
  let port = byName.get(name);
  if (port === undefined) byName.set(name, (port = Object.freeze({ number, protocol, name })));
  return port;
}

function discoveryOf(task: TaskFields, parts: TaskParts): Discovery | null {
  const discovery = task.discovery;
  if (!discovery || discovery.name === undefined || discovery.name === '') return null;
  const ports: DiscoveryPort[] = [];
  for (const p of discovery.ports?.ports ?? []) ports.push(discoveryPort(parts, p.number, p.protocol ?? '', p.name ?? ''));
  return { name: discovery.name, ports: parts.discoveryLists.of(ports) };
}

/** The ports resource as a list, shared by every task with the same text; null when it is not a range list. */
function portsOf(text: string | null | undefined, parts: TaskParts): readonly number[] | null {
  if (text === null || text === undefined) return NO_PORTS;
  const known = parts.portLists.get(text);
  if (known !== undefined) return known;
  const ports = parsePortRanges(text);
  return ports === null ? null : parts.portLists.of(text, ports);
}

const NO_PORTS: readonly number[] = Object.freeze([]);

export interface NormalizedMesos {
  readonly state: MesosState;
  readonly diagnostics: readonly Diagnostic[];
}

/** Tasks (or agents) between the points where normalizeMesosSteps lets its caller do other work. */
const ITEMS_PER_STEP = 256;

/** Builds the MesosState from a checked document. Skips (with a diagnostic) agents, frameworks and tasks that are bad. */
export function normalizeMesos(doc: MesosStateDoc, hosts: HostTable): NormalizedMesos {
  return runToEnd(normalizeMesosSteps(doc, hosts));
}

/**
 * normalizeMesos as steps: the generator pauses every ITEMS_PER_STEP agents or tasks, so the poller can run it in
 * slices (slices.ts) and the DNS server keeps answering while a large state is normalized.
 */
export function* normalizeMesosSteps(doc: MesosStateDoc, hosts: HostTable): Generator<void, NormalizedMesos> {
  const diagnostics: Diagnostic[] = [];
  const diagnose = (code: string, subject: string, message: string): void => {
    diagnostics.push({ code, source: 'mesos', subject, message });
  };

  const agents: Agent[] = [];
  // One count over agents and every framework's tasks, so that many small frameworks still pause.
  let items = 0;
  for (const [index, raw] of doc.slaves.entries()) {
    if (++items % ITEMS_PER_STEP === 0) yield;
    const parsed = mesosAgentSchema.safeParse(raw);
    if (!parsed.success) {
      diagnose('SWY_UPSTREAM_INVALID_AGENT', `slaves[${index}]`, describeIssues(parsed.error));
      continue;
    }
    const address = parseUpid(parsed.data.pid);
    if (address === null) {
      diagnose('SWY_UPSTREAM_INVALID_AGENT', parsed.data.id, `agent pid "${parsed.data.pid}" is not id@host:port`);
      continue;
    }
    const ips = addressesOf(address.host, hosts);
    if (ips.length === 0) {
      diagnose('SWY_UPSTREAM_UNRESOLVED_HOST', parsed.data.id, `agent host "${address.host}" did not resolve`);
      continue;
    }
    agents.push({ id: parsed.data.id, ips, port: address.port });
  }
  const agentIds = new Set(agents.map((a) => a.id));

  const frameworks: Framework[] = [];
  const strings = new Interner();
  const parts: TaskParts = { portLists: new Shared(), discoveryPorts: new Map(), discoveryLists: new SharedLists() };
  for (const [index, raw] of doc.frameworks.entries()) {
    const parsed = mesosFrameworkSchema.safeParse(raw);
    if (!parsed.success) {
      diagnose('SWY_UPSTREAM_INVALID_FRAMEWORK', `frameworks[${index}]`, describeIssues(parsed.error));
      continue;
    }
    const fw = parsed.data;
    let ips: readonly string[] = [];
    let port: number | null = null;
    if (fw.pid) {
      const address = parseUpid(fw.pid);
      if (address === null) {
        diagnose('SWY_UPSTREAM_INVALID_FRAMEWORK', fw.name, `framework pid "${fw.pid}" is not id@host:port`);
      } else {
        ips = addressesOf(address.host, hosts);
        port = address.port;
        if (ips.length === 0) diagnose('SWY_UPSTREAM_UNRESOLVED_HOST', fw.name, `framework host "${address.host}" did not resolve`);
      }
    } else if (fw.hostname) {
      ips = addressesOf(fw.hostname, hosts);
      if (ips.length === 0) diagnose('SWY_UPSTREAM_UNRESOLVED_HOST', fw.name, `framework host "${fw.hostname}" did not resolve`);
    }
    const tasks: Task[] = [];
    for (const [taskIndex, rawTask] of fw.tasks.entries()) {
      if (++items % ITEMS_PER_STEP === 0) yield;
      // The hand-written check first: zod only for what it does not accept, to say what is wrong.
      let task: TaskFields | null = taskFields(rawTask);
      if (task === null) {
        const parsedTask = mesosTaskSchema.safeParse(rawTask);
        if (!parsedTask.success) {
          diagnose('SWY_UPSTREAM_INVALID_TASK', `${fw.name}/tasks[${taskIndex}]`, describeIssues(parsedTask.error));
          continue;
        }
        task = parsedTask.data;
      }
      if (!isRunnable(task.state, task.slave_id, agentIds)) continue;
      const ports = portsOf(task.resources?.ports, parts);
      if (ports === null) {
        diagnose('SWY_UPSTREAM_INVALID_TASK', task.id, `ports resource "${String(task.resources?.ports)}" is not a range list`);
        continue;
      }
      tasks.push({
        id: task.id,
        name: task.name,
        agentId: strings.of(task.slave_id),
        ports,
        discovery: discoveryOf(task, parts),
        addresses: taskAddresses(newestRunningStatus(task.statuses ?? [])),
      });
    }
    frameworks.push({ name: fw.name, ips, port, tasks });
  }

  return {
    state: { leader: doc.leader, leaderAddress: parseUpid(doc.leader), agents, frameworks },
    diagnostics,
  };
}
