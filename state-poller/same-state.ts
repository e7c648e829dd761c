// Whether two normalized Mesos states are the same, field by field: a poll whose body changed but whose state did not
// (a master's state changes with every status update and resource offer, most of which DNS never sees) then keeps
// the state being served and rebuilds nothing. Pure; in steps, so that a large state is compared in slices.
import type { Agent, Diagnostic, Discovery, Framework, HostPort, MesosState, Task, TaskAddresses } from './model.js';

/** Tasks compared between the points where the steps let their caller do other work (about half a millisecond). */
const TASKS_PER_STEP = 1024;

function sameList<T>(a: readonly T[], b: readonly T[], same: (x: T, y: T) => boolean = Object.is): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!same(a[i] as T, b[i] as T)) return false;
  return true;
}

function sameHostPort(a: HostPort | null, b: HostPort | null): boolean {
  if (a === null || b === null) return a === b;
  return a.raw === b.raw && a.host === b.host && a.port === b.port;
}

const sameAgent = (a: Agent, b: Agent): boolean => a.id === b.id && a.port === b.port && sameList(a.ips, b.ips);

function sameDiscovery(a: Discovery | null, b: Discovery | null): boolean {
  if (a === null || b === null) return a === b;
  return a.name === b.name && sameList(a.ports, b.ports, (x, y) => x.number === y.number && x.protocol === y.protocol && x.name === y.name);
}

const sameAddresses = (a: TaskAddresses, b: TaskAddresses): boolean => sameList(a.netinfo, b.netinfo) && sameList(a.mesos, b.mesos) && sameList(a.docker, b.docker);

function sameTask(a: Task, b: Task): boolean {
  return a.id === b.id && a.name === b.name && a.agentId === b.agentId && sameList(a.ports, b.ports) && sameDiscovery(a.discovery, b.discovery) && sameAddresses(a.addresses, b.addresses);
}

function* sameFramework(a: Framework, b: Framework, count: { tasks: number }): Generator<void, boolean> {
  if (a.name !== b.name || a.port !== b.port || !sameList(a.ips, b.ips) || a.tasks.length !== b.tasks.length) return false;
  for (let i = 0; i < a.tasks.length; i++) {
    if (!sameTask(a.tasks[i] as Task, b.tasks[i] as Task)) return false;
    if (++count.tasks % TASKS_PER_STEP === 0) yield;
  }
  return true;
}

/**
 * sameMesosState as steps (run them with slices.ts's runInSlices, or to the end with runToEnd): true when every field
 * of the two states is the same, in the same order (as the normalizer orders them: order reaches DNS answers).
 */
export function* sameMesosStateSteps(a: MesosState, b: MesosState): Generator<void, boolean> {
  if (a === b) return true;
  if (a.leader !== b.leader || !sameHostPort(a.leaderAddress, b.leaderAddress)) return false;
  if (!sameList(a.agents, b.agents, sameAgent) || a.frameworks.length !== b.frameworks.length) return false;
  const count = { tasks: 0 };
  for (let i = 0; i < a.frameworks.length; i++) {
    if (!(yield* sameFramework(a.frameworks[i] as Framework, b.frameworks[i] as Framework, count))) return false;
  }
  return true;
}

/** Whether two lists of diagnostics say the same things in the same order. */
export function sameDiagnostics(a: readonly Diagnostic[], b: readonly Diagnostic[]): boolean {
  return sameList(a, b, (x, y) => x.code === y.code && x.source === y.source && x.subject === y.subject && x.message === y.message);
}
