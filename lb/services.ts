// Marathon apps → load-balanced services (one per app service port) with their servers: marathon-lb's get_apps
// (reference §2.1, §2.6–2.8). Pure: host addresses and the health cache come in, diagnostics and a new cache go out.
import { isIP } from 'node:net';
import type { Diagnostic, MarathonApp, MarathonHealthCheck } from '../state-poller/model.js';
import { readLabels, type AppLabelValues, type PortLabelValues } from './label-reader.js';
import { ServicePortAssigner } from './port-assigner.js';
import { finish } from './steps.js';
import { TEMPLATES } from './template-specs.js';
import { compileTemplate, type RenderTemplate } from './templates.js';
import { networkMode, servicePorts, taskAddress, taskIsUp, taskPorts, type HealthCache, type NetworkMode } from './tasks.js';
import { mergeDeploymentGroups } from './zdd.js';

export interface Server {
  readonly taskId: string;
  readonly host: string;
  readonly ip: string;
  readonly port: number;
  readonly draining: boolean;
}

export interface Service {
  readonly appId: string;
  /** Index `{n}` of the service port in the app's list. */
  readonly index: number;
  /** The port HAProxy binds and names the service by: HAPROXY_{n}_PORT, else Marathon's service port. */
  readonly servicePort: number;
  readonly appLabels: AppLabelValues;
  readonly labels: PortLabelValues;
  /** Per-port template overrides (HAPROXY_{n}_<TEMPLATE>), compiled and checked. */
  readonly overrides: ReadonlyMap<string, RenderTemplate>;
  /** The override texts, as given: part of the service's fingerprint. */
  readonly overrideSources: readonly (readonly [string, string])[];
  readonly healthCheck: MarathonHealthCheck | null;
  /** http, tcp, or null when the VHOST decides (marathon-lb settles it while generating). */
  readonly mode: 'http' | 'tcp' | null;
  /** Sorted by (host, port), as marathon-lb emits them. */
  readonly servers: readonly Server[];
}

export interface ServiceOptions {
  readonly healthCheck: boolean;
  readonly strictMode: boolean;
  /** Skip the app `/<frameworkName>` (marathon-lb's own app). */
  readonly frameworkName: string | null;
  readonly minServPortIpPerTask: number;
  readonly maxServPortIpPerTask: number;
}

export interface ServicesResult {
  readonly services: readonly Service[];
  readonly diagnostics: readonly Diagnostic[];
  readonly healthCache: HealthCache;
}

const HTTP_FAMILY: ReadonlySet<string> = new Set(['HTTP', 'HTTPS', 'MESOS_HTTP', 'MESOS_HTTPS']);
const PORT_LABEL = /^HAPROXY_(\d+)_/;

/** marathon-lb's get_health_check: the first check with an explicit port, or whose portIndex is the index. */
function healthCheckFor(app: MarathonApp, index: number): MarathonHealthCheck | null {
  return app.healthChecks.find((c) => (c.port !== null && c.port !== 0) || c.portIndex === index) ?? null;
}

function compareServers(a: Server, b: Server): number {
  if (a.host !== b.host) return a.host < b.host ? -1 : 1;
  return a.port - b.port;
}

/** One app's part of a generation: its services, its diagnostics and the health verdicts to remember. */
export interface AppServices {
  readonly services: readonly Service[];
  readonly diagnostics: readonly Diagnostic[];
  readonly cacheEntries: readonly (readonly [string, boolean])[];
}

/**
 * Remembers each app's services between generations (lb/view-cache.ts). `key` is everything they depend on besides
 * the (immutable) app object; a remembered entry is used only for the same app object and the same key.
 */
export interface AppMemo {
  get(app: MarathonApp, key: string): AppServices | undefined;
  set(app: MarathonApp, key: string, value: AppServices): void;
}

/** What an app's services read from outside the app: its service ports, each task's remembered health and address. */
function dependencyKey(app: MarathonApp, ports: readonly (number | null)[], mode: NetworkMode, hostMap: ReadonlyMap<string, readonly string[]>, cache: HealthCache): string {
  const parts: string[] = [ports.join(',')];
  for (const task of app.tasks) parts.push('\u0000', String(cache.get(task.id)), '\u0001', taskAddress(task, mode, hostMap) ?? '');
  // Joined, not built by `+=`: the key is kept with the app's services, and `+=` made it a tree of a rope node and
  // a piece per task (at 10k apps and 100k tasks, 12 MB kept where the flat strings take 2).
  return parts.join('');
}

/** Apps between the points where buildServicesSteps lets its caller do other work (about a millisecond's worth). */
const APPS_PER_STEP = 32;

export function buildServices(
  apps: readonly MarathonApp[],
  hosts: Readonly<Record<string, readonly string[]>>,
  options: ServiceOptions,
  cache: HealthCache,
  memo?: AppMemo,
): ServicesResult {
  return finish(buildServicesSteps(apps, hosts, options, cache, memo));
}

/** buildServices as steps: it pauses every APPS_PER_STEP apps (see lb/steps.ts). */
export function* buildServicesSteps(
  apps: readonly MarathonApp[],
  hosts: Readonly<Record<string, readonly string[]>>,
  options: ServiceOptions,
  cache: HealthCache,
  memo?: AppMemo,
): Generator<void, ServicesResult> {
  const diagnostics: Diagnostic[] = [];
  const hostMap = new Map(Object.entries(hosts));
  const nextCache = new Map<string, boolean>();
  const assigner = new ServicePortAssigner(options.minServPortIpPerTask, options.maxServPortIpPerTask);
  const services: Service[] = [];

  let count = 0;
  for (const { app, draining } of mergeDeploymentGroups(apps)) {
    if (++count % APPS_PER_STEP === 0) yield;
    if (options.frameworkName !== null && app.id === `/${options.frameworkName}`) continue;
    const mode = networkMode(app);
    let ports: (number | null)[] = servicePorts(app, mode);
    // The assigner's state runs across apps, so it is consulted for every app that needs it, remembered or not.
    if (ports.length === 0 && mode === 'container' && assigner.enabled && app.tasks[0] !== undefined) {
      ports = taskPorts(app, app.tasks[0], mode).map((taskPort) => assigner.assign(app.id, taskPort));
    }
    // A blue/green pair is merged into a new object each generation: it is never remembered.
    const key = memo === undefined || draining.size > 0 ? null : dependencyKey(app, ports, mode, hostMap, cache);
    const known = key === null ? undefined : memo?.get(app, key);
    const built = known ?? appServices(app, draining, mode, ports, hostMap, options, cache);
    if (key !== null && known === undefined) memo?.set(app, key, built);
    diagnostics.push(...built.diagnostics);
    services.push(...built.services);
    for (const [id, up] of built.cacheEntries) nextCache.set(id, up);
  }
  return { services, diagnostics, healthCache: nextCache };
}

/** The services of one app (one per service port that has servers), with what the generation learns about it. */
function appServices(
  app: MarathonApp,
  draining: ReadonlySet<string>,
  mode: NetworkMode,
  ports: readonly (number | null)[],
  hostMap: ReadonlyMap<string, readonly string[]>,
  options: ServiceOptions,
  cache: HealthCache,
): AppServices {
  const diagnostics: Diagnostic[] = [];
  const diagnose = (code: string, subject: string, message: string): void => {
    diagnostics.push({ code, source: 'lb', subject, message });
  };
  const cacheEntries: [string, boolean][] = [];
  const services: Service[] = [];
  const read = readLabels(app.labels, ports.length);
  const rejectedPorts = new Set<number>();
  let appRejected = false;
  for (const problem of read.problems) {
    if (problem.severity !== 'reject') {
      diagnose('SWY_LB_LABEL_IGNORED', app.id, problem.reason);
      continue;
    }
    const perPort = PORT_LABEL.exec(problem.label);
    if (perPort === null) appRejected = true;
    else rejectedPorts.add(Number(perPort[1]));
    diagnose('SWY_LB_LABEL_INVALID', app.id, `${problem.reason}; ${perPort === null ? 'the app is' : `service port index ${perPort[1]} is`} left out`);
  }
  if (appRejected) return { services, diagnostics, cacheEntries };

  // Keyed by Marathon's service port, as marathon-lb keys them: tasks are matched to services through it.
  const byPort = new Map<number, { service: Omit<Service, 'servers'>; servers: Server[] }>();
  ports.forEach((port, index) => {
    if (port === null) {
      diagnose('SWY_LB_NO_SERVICE_PORT', app.id, `no service port could be assigned for index ${index} (the auto-assignment range is used up)`);
      return;
    }
    if (rejectedPorts.has(index)) return;
    const portLabels = read.ports[index];
    const values = portLabels?.values ?? {};
    const overrides = new Map<string, RenderTemplate>();
    const overrideSources: [string, string][] = [];
    let bad = false;
    for (const [name, text] of Object.entries(portLabels?.templates ?? {})) {
      if (TEMPLATES.get(name)?.scope !== 'port') {
        diagnose('SWY_LB_LABEL_IGNORED', app.id, `HAPROXY_${index}_${name}: this template cannot be overridden per app (marathon-lb does not honour it either); ignored`);
        continue;
      }
      const compiled = compileTemplate(name, text, 'marathon-lb');
      if (compiled.ok) {
        overrides.set(name, compiled.render);
        overrideSources.push([name, text]);
      }
      else {
        bad = true;
        diagnose('SWY_LB_TEMPLATE_INVALID', app.id, `HAPROXY_${index}_${name}: ${compiled.reason}; service port index ${index} is left out`);
      }
    }
    if (bad) return;
    let healthCheck = healthCheckFor(app, index);
    let portMode: 'http' | 'tcp' | null = healthCheck?.protocol === 'HTTP' ? 'http' : null;
    if (values.MODE !== undefined) portMode = values.MODE;
    const borrowIndex = values.BACKEND_HEALTHCHECK_PORT_INDEX;
    if (healthCheck === null && borrowIndex !== undefined) {
      healthCheck = healthCheckFor(app, borrowIndex);
      if (healthCheck !== null && HTTP_FAMILY.has(healthCheck.protocol)) portMode = 'http';
    }
    byPort.set(port, {
      service: {
        appId: app.id,
        index,
        servicePort: values.PORT ?? port,
        appLabels: read.app,
        labels: values,
        overrides,
        overrideSources,
        healthCheck,
        mode: portMode,
      },
      servers: [],
    });
  });
  if (byPort.size === 0) return { services, diagnostics, cacheEntries };

  for (const task of app.tasks) {
    const verdict = taskIsUp(app, task, options.healthCheck, cache);
    const remembered = verdict.remember ?? cache.get(task.id);
    if (remembered !== undefined) cacheEntries.push([task.id, remembered]);
    if (!verdict.up) continue;
    const ip = taskAddress(task, mode, hostMap);
    if (ip === null) {
      if (mode !== 'container') diagnose('SWY_UPSTREAM_UNRESOLVED_HOST', app.id, `task ${task.id}: host ${JSON.stringify(task.host)} has no IPv4 address; the task gets no traffic`);
      continue;
    }
    // Marathon's data is untrusted: only an IP literal may become a server address in HAProxy's config.
    if (isIP(ip) === 0) {
      diagnose('SWY_UPSTREAM_INVALID_TASK', app.id, `task ${task.id}: address ${JSON.stringify(ip)} is not an IP address; the task gets no traffic`);
      continue;
    }
    const taskPortList = taskPorts(app, task, mode);
    // Zipped by position: app versions with a different number of ports still match as many as they can.
    taskPortList.forEach((taskPort, i) => {
      const servicePort = ports[i];
      const entry = servicePort === undefined || servicePort === null ? undefined : byPort.get(servicePort);
      entry?.servers.push({ taskId: task.id, host: task.host, ip, port: taskPort, draining: draining.has(task.id) });
    });
  }
  for (const { service, servers } of byPort.values()) {
    if (servers.length === 0) continue; // marathon-lb drops a port without servers: its frontend closes
    // Field by field, not `{ ...service, servers }`: V8 (Node 20) gives nearly every object made by spreading and then
    // adding a key a hidden class of its own (about 300 bytes each, kept with the view).
    services.push({
      appId: service.appId,
      index: service.index,
      servicePort: service.servicePort,
      appLabels: service.appLabels,
      labels: service.labels,
      overrides: service.overrides,
      overrideSources: service.overrideSources,
      healthCheck: service.healthCheck,
      mode: service.mode,
      servers: servers.sort(compareServers),
    });
  }
  return { services, diagnostics, cacheEntries };
}
