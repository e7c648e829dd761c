// Benchmark input: a synthetic cluster of N apps × K tasks as the two upstream documents switchyard reads
// (Mesos GET /master/state and Marathon GET /v2/apps?embed=apps.tasks). Pure and deterministic: no I/O, no randomness.

export interface ClusterShape {
  readonly apps: number;
  readonly tasksPerApp: number;
  /** Agents the tasks are spread over (round robin). */
  readonly agents: number;
  /**
   * The master's own pid, "host:port" (default 10.0.0.1:5050, never contacted). A state that is fetched over HTTP
   * must name the loopback server that serves it, or the Mesos source would follow the leader redirect away.
   */
  readonly master?: string;
}

/** The app names the DNS benchmark asks for: app-0 … app-(N-1), in one Marathon framework. */
export const appName = (i: number): string => `app-${i}`;

function agentIp(i: number): string {
  return `10.${1 + (i >> 16)}.${(i >> 8) & 0xff}.${i & 0xff}`;
}

function taskIp(n: number): string {
  return `9.${(n >> 16) & 0xff}.${(n >> 8) & 0xff}.${n & 0xff}`;
}

const agentId = (i: number): string => `a1b2c3d4-0000-4000-8000-${i.toString(16).padStart(12, '0')}-S${i}`;

/** A task id in Marathon's form: the app id, a dot, a UUID-like suffix that differs per task. */
function taskId(app: number, k: number): string {
  const n = (app * 7919 + k * 104729) >>> 0;
  return `${appName(app)}.${n.toString(16).padStart(8, '0')}-${k.toString(16).padStart(4, '0')}-4000-8000-${app.toString(16).padStart(12, '0')}`;
}

const hostPort = (app: number, k: number): number => 31000 + ((app * 13 + k * 7) % 900);

/** The Mesos master state: every task running, with a network-info address, two ports, and DiscoveryInfo. */
export function mesosStateDoc(shape: ClusterShape): Record<string, unknown> {
  const slaves = Array.from({ length: shape.agents }, (_, i) => ({
    id: agentId(i),
    hostname: `agent-${i}.example.internal`,
    pid: `slave(1)@${agentIp(i)}:5051`,
    port: 5051,
    active: true,
    resources: { cpus: 32, mem: 128000, disk: 500000, ports: '[31000-32000]' },
  }));
  const tasks: Record<string, unknown>[] = [];
  let n = 0;
  for (let app = 0; app < shape.apps; app++) {
    for (let k = 0; k < shape.tasksPerApp; k++) {
      n++;
      const port = hostPort(app, k);
      tasks.push({
        id: taskId(app, k),
        name: appName(app),
        framework_id: 'fw-marathon-0001',
        slave_id: agentId(n % shape.agents),
        state: 'TASK_RUNNING',
        resources: { cpus: 0.1, mem: 128, ports: `[${port}-${port + 1}]` },
        statuses: [
          {
            state: 'TASK_RUNNING',
            timestamp: 1500000000 + n,
            container_status: { network_infos: [{ ip_addresses: [{ protocol: 'IPv4', ip_address: taskIp(n) }], name: 'overlay' }] },
          },
        ],
        discovery: {
          visibility: 'FRAMEWORK',
          name: appName(app),
          ports: { ports: [{ number: port, name: 'http', protocol: 'tcp' }, { number: port + 1, name: 'admin', protocol: 'tcp' }] },
        },
      });
    }
  }
  return {
    leader: `master@${shape.master ?? '10.0.0.1:5050'}`,
    pid: `master@${shape.master ?? '10.0.0.1:5050'}`,
    hostname: 'master-0.example.internal',
    slaves,
    frameworks: [{ id: 'fw-marathon-0001', name: 'marathon', pid: 'scheduler-1@10.0.0.2:15101', active: true, tasks }],
  };
}

/** The same apps as Marathon reports them, each with one service port, a vhost and a health check. */
export function marathonAppsDoc(shape: ClusterShape): Record<string, unknown> {
  const apps: Record<string, unknown>[] = [];
  let n = 0;
  for (let app = 0; app < shape.apps; app++) {
    const tasks: Record<string, unknown>[] = [];
    for (let k = 0; k < shape.tasksPerApp; k++) {
      n++;
      const host = agentIp(n % shape.agents);
      tasks.push({
        id: taskId(app, k),
        appId: `/${appName(app)}`,
        host,
        ports: [hostPort(app, k)],
        ipAddresses: [{ ipAddress: taskIp(n), protocol: 'IPv4' }],
        state: 'TASK_RUNNING',
        healthCheckResults: [{ alive: true }],
      });
    }
    apps.push({
      id: `/${appName(app)}`,
      instances: shape.tasksPerApp,
      labels: { HAPROXY_GROUP: 'external', HAPROXY_0_VHOST: `${appName(app)}.example.com` },
      portDefinitions: [{ port: 10000 + app, protocol: 'tcp', name: 'http' }],
      healthChecks: [{ protocol: 'HTTP', path: '/health', portIndex: 0, intervalSeconds: 5, timeoutSeconds: 3, gracePeriodSeconds: 30, maxConsecutiveFailures: 2 }],
      versionInfo: { lastScalingAt: '2024-01-02T10:00:00.000Z' },
      tasks,
    });
  }
  return { apps };
}
