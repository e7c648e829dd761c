// Which Marathon tasks receive traffic, and on which address and port: marathon-lb's rules (reference §2.6–2.7).
// Pure: host names are resolved by the caller and passed in; the health cache is passed in and a new one returned.
import { isIP } from 'node:net';
import type { MarathonApp, MarathonTask } from '../state-poller/model.js';

export type NetworkMode = 'host' | 'container' | 'container/bridge';

/** Task states marathon-lb leaves out. RUNNING, LOST, UNREACHABLE and no state at all stay in (optimistic). */
const EXCLUDED_STATES: ReadonlySet<string> = new Set([
  'TASK_STAGING',
  'TASK_STARTING',
  'TASK_KILLING',
  'TASK_FINISHED',
  'TASK_FAILED',
  'TASK_KILLED',
  'TASK_ERROR',
  'TASK_DROPPED',
  'TASK_GONE',
  'TASK_GONE_BY_OPERATOR',
  'TASK_UNKNOWN',
]);

/** host by default; container for IP-per-task or a USER network; bridge for BRIDGE; Marathon 1.5 networks win. */
export function networkMode(app: MarathonApp): NetworkMode {
  const last = app.networkModes.at(-1);
  if (last !== undefined) return last === 'host' || last === 'container/bridge' ? last : 'container';
  if (app.dockerNetwork === 'BRIDGE') return 'container/bridge';
  if (app.ipAddressPorts !== null || app.dockerNetwork === 'USER') return 'container';
  return 'host';
}

function mappingServicePorts(app: MarathonApp): number[] {
  const docker = app.dockerPortMappings.flatMap((m) => (m.servicePort === null ? [] : [m.servicePort]));
  if (docker.length > 0) return docker;
  return app.containerPortMappings.flatMap((m) => (m.servicePort === null ? [] : [m.servicePort]));
}

/** The service ports, one per `{n}` of the HAPROXY_{n}_* labels. Empty when Marathon assigned none. */
export function servicePorts(app: MarathonApp, mode: NetworkMode = networkMode(app)): number[] {
  if (mode !== 'host') {
    const mapped = mappingServicePorts(app);
    if (mapped.length > 0) return mapped;
  }
  return [...(app.portDefinitions ?? app.ports)];
}

function containerPorts(app: MarathonApp): number[] {
  const mappings = app.dockerPortMappings.length > 0 ? app.dockerPortMappings : app.containerPortMappings;
  return mappings.flatMap((m) => (m.containerPort === null ? [] : [m.containerPort]));
}

/** The ports a task listens on, zipped positionally with the service ports by the caller. */
export function taskPorts(app: MarathonApp, task: MarathonTask, mode: NetworkMode = networkMode(app)): number[] {
  if (mode === 'container') {
    if (app.ipAddressPorts !== null && app.ipAddressPorts.length > 0) return [...app.ipAddressPorts];
    return containerPorts(app);
  }
  if (task.ports.length > 0) return [...task.ports];
  if (app.portDefinitions !== null && app.portDefinitions.length > 0) return [...app.portDefinitions];
  return mode === 'container/bridge' ? containerPorts(app) : [];
}

/** The address to send traffic to: the task's own IP in container mode, else its host's IPv4 address. */
export function taskAddress(task: MarathonTask, mode: NetworkMode, hosts: ReadonlyMap<string, readonly string[]>): string | null {
  if (mode === 'container') return task.ipAddresses[0] ?? null;
  if (isIP(task.host) !== 0) return task.host;
  return hosts.get(task.host)?.[0] ?? null;
}

export type HealthCache = ReadonlyMap<string, boolean>;

/**
 * Whether a task gets traffic. With health checking on and checks defined: up when any result is alive; an empty
 * result list is down; absent results fall back to the last known value (down when none is known).
 * Returns the cache value to remember for the task, when there is one.
 */
export function taskIsUp(app: MarathonApp, task: MarathonTask, healthCheck: boolean, cache: HealthCache): { up: boolean; remember: boolean | null } {
  if (task.host === '') return { up: false, remember: null };
  if (task.state !== null && EXCLUDED_STATES.has(task.state)) return { up: false, remember: null };
  if (!healthCheck || app.healthChecks.length === 0) return { up: true, remember: null };
  if (task.healthAlive === null) return { up: cache.get(task.id) ?? false, remember: null };
  const alive = task.healthAlive.some(Boolean);
  return { up: alive, remember: alive };
}

/** The app id without its leading "/", "/" → "_": how marathon-lb puts an app into backend and ACL names. */
export function appIdPart(appId: string): string {
  return appId.replace(/^\//, '').replaceAll('/', '_');
}

/** marathon-lb's backend name: appIdPart, then "_" and the service port. */
export function backendName(appId: string, servicePort: number): string {
  return `${appIdPart(appId)}_${servicePort}`;
}
