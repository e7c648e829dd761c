// Mesos /master/state JSON → the normalized MesosState of the Snapshot.
// Pure and deterministic: hostnames are resolved by the caller beforehand and passed in; bad items become diagnostics.
import type { Agent, Diagnostic, Framework, MesosState, Task } from './model.js';
import { describeIssues, mesosAgentSchema, mesosFrameworkSchema, mesosStateSchema, type MesosStateDoc } from './mesos-types.js';
import { PreparedTask, TaskPreparer } from './mesos-task.js';
import { isIpLiteral, parseUpid } from './upid.js';
import { runToEnd } from './slices.js';
import { isOnKnownAgent } from './task-filter.js';


/** Addresses found for each non-IP host name; a missing or empty entry means the name did not resolve. */
export type HostTable = ReadonlyMap<string, readonly string[]>;

export type ParsedState =
  | { readonly ok: true; readonly doc: MesosStateDoc }
  | { readonly ok: false; readonly code: 'SWY_UPSTREAM_NO_LEADER' | 'SWY_UPSTREAM_MALFORMED'; readonly message: string };

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
  // For tasks still raw: those of small task lists, parsed in one piece, and every task of a document parsed whole.
  const preparer = new TaskPreparer();
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
      const { task, problem } = rawTask instanceof PreparedTask ? rawTask : preparer.prepare(rawTask);
      if (problem?.code === 'invalid') {
        diagnose('SWY_UPSTREAM_INVALID_TASK', `${fw.name}/tasks[${taskIndex}]`, problem.message);
        continue;
      }
      // The state was checked when the task was prepared; the agent only now, with every agent known.
      const agentId = task?.agentId ?? problem?.slaveId;
      if (agentId === undefined || !isOnKnownAgent(agentId, agentIds)) continue;
      if (problem !== null) {
        diagnose('SWY_UPSTREAM_INVALID_TASK', problem.id, `ports resource "${problem.text}" is not a range list`);
        continue;
      }
      if (task !== null) tasks.push(task);
    }
    frameworks.push({ name: fw.name, ips, port, tasks });
  }

  return {
    state: { leader: doc.leader, leaderAddress: parseUpid(doc.leader), agents, frameworks },
    diagnostics,
  };
}
