// One raw Mesos task → its normalized Task, all but the check that its agent is in the state (which needs every
// agent). Pure. The poller runs it on each task while the state is parsed (prepareMesosTasks), so that the 100k raw
// tasks of a large state (about 100 MB of parsed JSON) are never kept beside one another; normalize.ts runs it on
// any task still raw.
import { isIP } from 'node:net';
import { Interner, Shared, SharedLists } from './intern.js';
import type { ItemHook } from './json-slices.js';
import type { Discovery, DiscoveryPort, Task, TaskAddresses } from './model.js';
import { describeIssues, mesosStatusSchema, mesosTaskSchema } from './mesos-types.js';
import { statusFields, taskFields, type StatusFields, type TaskFields } from './mesos-fast.js';
import { isRunningState } from './task-filter.js';

const DOCKER_IP_LABEL = 'Docker.NetworkSettings.IPAddress';
const MESOS_IP_LABEL = 'MesosContainerizer.NetworkSettings.IPAddress';

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
/** The ports of a task without a ports resource: not a text, so not a key of the shared lists. */
const NO_PORTS: readonly number[] = Object.freeze([]);

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
 * Why a task is left out, once it is known not to be malformed: `ports` when its ports resource is not a range list
 * (reported only when the task would otherwise be published, as before this was split from normalize.ts).
 */
export type TaskProblem =
  | { readonly code: 'invalid'; readonly message: string }
  | { readonly code: 'ports'; readonly id: string; readonly slaveId: string; readonly text: string };

/**
 * A task as prepared: the Task (its agentId the task's slave_id), or why there is none. Neither: the task is not
 * TASK_RUNNING. A class, so that a raw JSON object can never pass for one.
 */
export class PreparedTask {
  constructor(
    readonly task: Task | null,
    readonly problem: TaskProblem | null,
  ) {}
}

const NOT_RUNNING = new PreparedTask(null, null);

/**
 * Prepares the tasks of one state, sharing among them what repeats across a cluster's tasks: agent ids, each
 * distinct ports resource text's list, each DiscoveryInfo port and each list of them. Each task's own Discovery
 * object (with its name) is not shared.
 */
export class TaskPreparer {
  private readonly strings = new Interner();
  private readonly portLists = new Shared<readonly number[]>();
  /** By number, protocol and name. */
  private readonly discoveryPorts = new Map<number, Map<string, Map<string, DiscoveryPort>>>();
  private readonly discoveryLists = new SharedLists<DiscoveryPort>();

  prepare(raw: unknown): PreparedTask {
    // The hand-written check first: zod only for what it does not accept, to say what is wrong.
    let task: TaskFields | null = taskFields(raw);
    if (task === null) {
      const parsed = mesosTaskSchema.safeParse(raw);
      if (!parsed.success) return new PreparedTask(null, { code: 'invalid', message: describeIssues(parsed.error) });
      task = parsed.data;
    }
    if (!isRunningState(task.state)) return NOT_RUNNING;
    const ports = this.portsOf(task.resources?.ports);
    if (ports === null) return new PreparedTask(null, { code: 'ports', id: task.id, slaveId: task.slave_id, text: String(task.resources?.ports) });
    return new PreparedTask(
      {
        id: task.id,
        name: task.name,
        agentId: this.strings.of(task.slave_id),
        ports,
        discovery: this.discoveryOf(task),
        addresses: taskAddresses(newestRunningStatus(task.statuses ?? [])),
      },
      null,
    );
  }

  private discoveryPort(number: number, protocol: string, name: string): DiscoveryPort {
    let byProtocol = this.discoveryPorts.get(number);
    if (byProtocol === undefined) this.discoveryPorts.set(number, (byProtocol = new Map()));
    let byName = byProtocol.get(protocol);
    if (byName === undefined) byProtocol.set(protocol, (byName = new Map()));
    let port = byName.get(name);
    if (port === undefined) byName.set(name, (port = Object.freeze({ number, protocol, name })));
    return port;
  }

  private discoveryOf(task: TaskFields): Discovery | null {
    const discovery = task.discovery;
    if (!discovery || discovery.name === undefined || discovery.name === '') return null;
    const ports: DiscoveryPort[] = [];
    for (const p of discovery.ports?.ports ?? []) ports.push(this.discoveryPort(p.number, p.protocol ?? '', p.name ?? ''));
    return { name: discovery.name, ports: this.discoveryLists.of(ports) };
  }

  /** The ports resource as a list, shared by every task with the same text; null when it is not a range list. */
  private portsOf(text: string | null | undefined): readonly number[] | null {
    if (text === null || text === undefined) return NO_PORTS;
    const known = this.portLists.get(text);
    if (known !== undefined) return known;
    const ports = parsePortRanges(text);
    return ports === null ? null : this.portLists.of(text, ports);
  }
}

/** Where a Mesos state's tasks are (other lists of tasks, such as completed_tasks, are left as they are). */
const TASKS_PATH = 'frameworks[].tasks';

/**
 * An ItemHook for parsing a Mesos state: each task of a framework's (large) task list becomes a PreparedTask as soon
 * as it is parsed, with one TaskPreparer for the whole state.
 */
export function prepareMesosTasks(): ItemHook {
  const preparer = new TaskPreparer();
  return (path, item) => (path === TASKS_PATH ? preparer.prepare(item) : item);
}
