// Test helper: a mutable model of Marathon apps (vhost, service port, labels, tasks) for churn tests and benchmarks,
// rendered as the /v2/apps?embed=apps.tasks document, with HAProxy's backend and server names. Pure: no I/O.

export interface TaskSpec {
  readonly id: string;
  readonly host: string;
  readonly port: number;
}

export interface AppSpec {
  readonly id: string;
  readonly servicePort: number;
  /** Comma list, as in HAPROXY_0_VHOST. */
  vhost: string;
  /** Extra labels (besides group, bind address and vhost). */
  labels: Record<string, string>;
  tasks: TaskSpec[];
}

/** marathon-lb's backend name: the app id without the leading slash, slashes as `_`, then the service port. */
export function backendOf(app: Pick<AppSpec, 'id' | 'servicePort'>): string {
  return `${app.id.replace(/^\//, '').replaceAll('/', '_')}_${app.servicePort}`;
}

/** marathon-lb's server name for a task whose host is an IP literal. */
export function serverOf(task: Pick<TaskSpec, 'host' | 'port'>): string {
  return `${task.host}_${task.port}`.replace(/[^A-Za-z0-9-]/g, '_');
}

function marathonApp(app: AppSpec): Record<string, unknown> {
  const slug = app.id.slice(1).replaceAll('/', '_');
  return {
    id: app.id,
    instances: app.tasks.length,
    labels: { HAPROXY_GROUP: 'external', HAPROXY_0_BIND_ADDR: '127.0.0.1', HAPROXY_0_VHOST: app.vhost, ...app.labels },
    portDefinitions: [{ port: app.servicePort, protocol: 'tcp', labels: {} }],
    healthChecks: [],
    deployments: [],
    tasks: app.tasks.map((t, i) => ({
      id: `${slug}.${t.id}`,
      appId: app.id,
      host: t.host,
      ports: [t.port],
      ipAddresses: [{ ipAddress: t.host, protocol: 'IPv4' }],
      state: 'TASK_RUNNING',
      slaveId: `agent-${i % 7}`,
      stagedAt: '2024-01-02T10:00:01.000Z',
      startedAt: '2024-01-02T10:00:05.000Z',
      version: '2024-01-02T10:00:00.000Z',
    })),
  };
}

export class ChurnCluster {
  readonly apps = new Map<string, AppSpec>();

  add(app: AppSpec): AppSpec {
    if (this.apps.has(app.id)) throw new Error(`app ${app.id} exists`);
    this.apps.set(app.id, app);
    return app;
  }

  get(id: string): AppSpec {
    const app = this.apps.get(id);
    if (app === undefined) throw new Error(`no app ${id}`);
    return app;
  }

  remove(id: string): AppSpec {
    const app = this.get(id);
    this.apps.delete(id);
    return app;
  }

  /** The app a Host header routes to now (first match of any of its vhosts), or null. */
  appOfVhost(host: string): AppSpec | null {
    for (const app of this.apps.values()) if (app.vhost.split(',').includes(host)) return app;
    return null;
  }

  /** The document FakeMarathon serves at GET /v2/apps. */
  document(): { apps: Record<string, unknown>[] } {
    return { apps: [...this.apps.values()].map(marathonApp) };
  }
}

/** p-th percentile (0–100) of numbers, nearest rank; NaN for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}

/** A small deterministic PRNG (mulberry32), so a benchmark's event script is the same in every mode and run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
