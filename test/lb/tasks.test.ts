// Task selection, addresses and ports: for every backend marathon-lb wrote with --group '*' and no health checks,
// the servers follow from lb/tasks.ts applied to the recorded apps. Plus the health rules of reference §2.6.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { backendName, networkMode, servicePorts, taskAddress, taskIsUp, taskPorts } from '../../lb/tasks.js';
import { normalizeMarathon } from '../../state-poller/marathon-normalize.js';
import type { MarathonApp, MarathonTask } from '../../state-poller/model.js';

const read = (path: string): string => readFileSync(new URL(`../fixtures/marathon-lb/${path}`, import.meta.url), 'utf8');
const apps = ['synthetic/fake-marathon-apps.json', 'upstream/tests/marathon15_apps.json', 'upstream/tests/zdd_apps.json'].flatMap((path) => {
  const result = normalizeMarathon(JSON.parse(read(path)) as unknown);
  if (!result.ok) throw new Error(result.message);
  return result.state.apps;
});

/** backend name → sorted "ip:port" of its servers, from a generated haproxy.cfg. */
function backendsOf(cfg: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let current: string | null = null;
  for (const line of cfg.split('\n')) {
    const header = /^(backend|frontend|listen|global|defaults|userlist)\s*(\S*)/.exec(line);
    if (header) current = header[1] === 'backend' ? (header[2] ?? null) : null;
    const server = /^\s+server \S+ (\S+)/.exec(line);
    if (current !== null) {
      if (!out.has(current)) out.set(current, []);
      if (server?.[1]) out.get(current)?.push(server[1]);
    }
  }
  for (const list of out.values()) list.sort();
  return out;
}

/** Servers computed with lb/tasks.ts for every port of every app that has service ports (no deployment groups). */
function computed(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const app of apps) {
    if (app.labels.HAPROXY_DEPLOYMENT_GROUP !== undefined) continue;
    const mode = networkMode(app);
    servicePorts(app, mode).forEach((servicePort, index) => {
      const servers: string[] = [];
      for (const task of app.tasks) {
        if (!taskIsUp(app, task, false, new Map()).up) continue;
        const ip = taskAddress(task, mode, new Map());
        const port = taskPorts(app, task, mode)[index];
        if (ip !== null && port !== undefined) servers.push(`${ip}:${port}`);
      }
      // marathon-lb drops ports with no servers entirely.
      // HAPROXY_{n}_PORT renames the backend (a label rule, applied here by hand; the view model owns it).
      const namePort = Number(app.labels[`HAPROXY_${index}_PORT`] ?? servicePort);
      if (servers.length > 0) out.set(backendName(app.id, namePort), servers.sort());
    });
  }
  return out;
}

describe('servers per backend, against marathon-lb --group "*" without health checks', () => {
  const golden = backendsOf(read('generated/combined.group-star.no-health-check.dont-bind-http-https.haproxy.cfg'));
  const ours = computed();
  const names = [...ours.keys()].sort();

  it('finds the backends marathon-lb wrote (apps with deployment groups and auto-assigned ports aside)', () => {
    expect(names.length).toBeGreaterThanOrEqual(5);
    for (const name of names) expect(golden.has(name), name).toBe(true);
  });

  it.each(names)('%s has the same servers', (name) => {
    expect(ours.get(name)).toEqual(golden.get(name));
  });
});

const app = (over: Partial<MarathonApp> = {}): MarathonApp => ({
  id: '/a',
  instances: 1,
  labels: {},
  portDefinitions: null,
  ports: [],
  dockerNetwork: null,
  dockerPortMappings: [],
  containerPortMappings: [],
  networkModes: [],
  ipAddressPorts: null,
  healthChecks: [],
  tasks: [],
  lastScalingAt: null,
  ...over,
});
const task = (over: Partial<MarathonTask> = {}): MarathonTask => ({ id: 't1', host: '127.0.0.1', state: 'TASK_RUNNING', ports: [31000], ipAddresses: [], healthAlive: null, ...over });
const check = { protocol: 'HTTP', port: null, portIndex: 0, path: '/', intervalSeconds: 5, timeoutSeconds: 2, gracePeriodSeconds: 5, maxConsecutiveFailures: 3 };

describe('taskIsUp (reference §2.6)', () => {
  it.each([
    ['running, no checks', app(), task(), false, true],
    ['no state at all', app(), task({ state: null }), false, true],
    ['unreachable stays in (optimistic)', app(), task({ state: 'TASK_UNREACHABLE' }), false, true],
    ['staging is out', app(), task({ state: 'TASK_STAGING' }), false, false],
    ['killing is out', app(), task({ state: 'TASK_KILLING' }), false, false],
    ['empty host is out', app(), task({ host: '' }), false, false],
    ['health checking off ignores results', app({ healthChecks: [check] }), task({ healthAlive: [false] }), false, true],
    ['one alive result is enough', app({ healthChecks: [check] }), task({ healthAlive: [false, true] }), true, true],
    ['an empty result list is down', app({ healthChecks: [check] }), task({ healthAlive: [] }), true, false],
    ['no results and nothing cached is down', app({ healthChecks: [check] }), task({ healthAlive: null }), true, false],
    ['an app without checks is up', app(), task({ healthAlive: null }), true, true],
  ] as const)('%s', (_title, a, t, healthCheck, up) => {
    expect(taskIsUp(a, t, healthCheck, new Map()).up).toBe(up);
  });

  it('falls back to the cached value when results are absent, and remembers new results', () => {
    const a = app({ healthChecks: [check] });
    expect(taskIsUp(a, task({ healthAlive: null }), true, new Map([['t1', true]])).up).toBe(true);
    expect(taskIsUp(a, task({ healthAlive: [true] }), true, new Map()).remember).toBe(true);
  });
});

describe('network modes and ports (reference §2.7)', () => {
  it.each([
    ['host by default', app(), 'host'],
    ['BRIDGE', app({ dockerNetwork: 'BRIDGE' }), 'container/bridge'],
    ['USER', app({ dockerNetwork: 'USER' }), 'container'],
    ['legacy ipAddress', app({ ipAddressPorts: [] }), 'container'],
    ['networks[] wins, last entry', app({ dockerNetwork: 'BRIDGE', networkModes: ['container/bridge', 'host'] }), 'host'],
  ] as const)('%s → %s', (_title, a, mode) => {
    expect(networkMode(a)).toBe(mode);
  });

  it('container mode sends traffic to the task IP and the discovery port; a task without IP is skipped', () => {
    const a = app({ ipAddressPorts: [8080] });
    expect(taskAddress(task({ ipAddresses: ['127.0.5.5'] }), 'container', new Map())).toBe('127.0.5.5');
    expect(taskAddress(task({ ipAddresses: [] }), 'container', new Map())).toBeNull();
    expect(taskPorts(a, task(), 'container')).toEqual([8080]);
  });

  it('host mode resolves a host name through the table the caller filled', () => {
    expect(taskAddress(task({ host: 'agent-1' }), 'host', new Map([['agent-1', ['127.0.9.1']]]))).toBe('127.0.9.1');
    expect(taskAddress(task({ host: 'unknown' }), 'host', new Map())).toBeNull();
  });

  it('portDefinitions win over the legacy ports list; bridge apps use the port mappings', () => {
    expect(servicePorts(app({ portDefinitions: [10000], ports: [9999] }))).toEqual([10000]);
    expect(servicePorts(app({ ports: [9999] }))).toEqual([9999]);
    expect(servicePorts(app({ dockerNetwork: 'BRIDGE', dockerPortMappings: [{ servicePort: 10101, containerPort: 80 }], portDefinitions: [1] }))).toEqual([10101]);
  });
});
