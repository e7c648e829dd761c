// Test helper: the built switchyard managing a real HAProxy on a fake Marathon serving a ChurnCluster, with probes for
// "the new task answers" and "the removed one is out of rotation". I/O: processes, sockets, temp files.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { backendOf, serverOf, type AppSpec, type ChurnCluster, type TaskSpec } from './churn-cluster.js';
import { FakeMarathon } from './fake-marathon.js';
import { haproxyTree, inRotation, parseServersState, parseShowProc, socketCommand, type HaproxyTree, type ProcList } from './haproxy-procs.js';
import { accepts, get } from './loopback-client.js';
import { writeConfig } from './program.js';
import { startSwitchyard, type Switchyard } from './switchyard-proc.js';
import { selfSignedPem } from './tls.js';
import type { PipelineStatus } from '../../lb/pipeline-types.js';

/** What GET /v1/lb answers: the pipeline's status, decoded from JSON. */
export type LbStatus = PipelineStatus;

export interface RigOptions {
  readonly runtimeApi: boolean;
  readonly hardStopAfterSeconds: number;
  /** `option` lines of the defaults section; null: switchyard's default. */
  readonly defaultOptions?: readonly string[] | null;
  /**
   * The shared frontends' ports (http, https, stats, app id). Taken with the apps' service ports in one
   * lowFreePorts call, so that no app's port is one of them (two separate calls may hand out the same port).
   */
  readonly sharedPorts: readonly [number, number, number, number];
}

export async function until<T>(what: string, timeoutMs: number, probe: () => T | null | Promise<T | null>, pollMs = 10): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs} ms`);
    await sleep(pollMs);
  }
}

export class ChurnRig {
  private eventCount = 0;

  private constructor(
    readonly dir: string,
    readonly configFile: string,
    readonly adminSocket: string,
    readonly masterSocket: string,
    readonly httpPort: number,
    readonly fake: FakeMarathon,
    readonly program: Switchyard,
    private readonly configDir: string,
  ) {}

  /** Writes the config, starts switchyard on the cluster as it is now and waits until HAProxy accepts. */
  static async start(cluster: ChurnCluster, options: RigOptions): Promise<ChurnRig> {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-churn-'));
    const [http, https, stats, appId] = options.sharedPorts;
    const configFile = join(dir, 'haproxy.cfg');
    const adminSocket = join(dir, 'admin.sock');
    const fake = await FakeMarathon.start();
    fake.setApps(cluster.document());
    const configPath = writeConfig({
      marathon: [fake.url],
      httpon: true,
      httpport: 0,
      HTTPListener: '127.0.0.1',
      lb: {
        haproxy: { manage: true, hardStopAfterSeconds: options.hardStopAfterSeconds },
        runtimeApi: options.runtimeApi,
        ...(options.defaultOptions ? { globalDefaultOptions: options.defaultOptions } : {}),
        maxconn: 2000,
        configFile,
        statsSocket: adminSocket,
        bindAddress: '127.0.0.1',
        httpPort: http,
        httpsPort: https,
        statsPort: stats,
        appIdPort: appId,
        sslCerts: [selfSignedPem(dir)],
        eventMinIntervalMs: 0,
        eventMaxDelayMs: 100,
        minReloadIntervalMs: 0,
        resyncSeconds: 3600,
      },
    });
    const program = await startSwitchyard(configPath).catch(async (error: unknown) => {
      await fake.close();
      rmSync(dir, { recursive: true, force: true });
      rmSync(dirname(configPath), { recursive: true, force: true });
      throw error;
    });
    const rig = new ChurnRig(dir, configFile, adminSocket, join(dir, 'haproxy-master.sock'), http, fake, program, dirname(configPath));
    await until('HAProxy accepts on the shared HTTP port', 30_000, async () => ((await accepts(http)) ? true : null), 50).catch(async (error: Error) => {
      const tail = program.tail();
      await rig.stop();
      throw new Error(`${error.message}; ${tail}`);
    });
    return rig;
  }

  /** Serves the cluster as it is now and pushes a status_update_event; returns when the event was sent (ms clock). */
  publish(cluster: ChurnCluster, app: AppSpec | null, task: TaskSpec | null, status = 'TASK_RUNNING'): number {
    this.fake.setApps(cluster.document());
    this.eventCount += 1;
    const at = performance.now();
    this.fake.sendEvent('status_update_event', {
      slaveId: 'agent-1',
      taskId: task === null || app === null ? `churn.${this.eventCount}` : `${app.id.slice(1).replaceAll('/', '_')}.${task.id}`,
      taskStatus: status,
      message: '',
      appId: app?.id ?? '/',
      host: task?.host ?? '127.0.0.1',
      ipAddresses: task === null ? [] : [{ ipAddress: task.host, protocol: 'IPv4' }],
      ports: task === null ? [] : [task.port],
      version: '2024-01-02T10:00:00.000Z',
    });
    return at;
  }

  async lbStatus(): Promise<LbStatus> {
    return JSON.parse((await get({ port: this.program.httpPort, path: '/v1/lb' })).body) as LbStatus;
  }

  config(): string {
    return readFileSync(this.configFile, 'utf8');
  }

  /** Polls with new connections (so the current worker answers) until `task` of `app` answers on one of its vhosts. */
  async waitUntilRoutes(app: AppSpec, task: TaskSpec, timeoutMs: number, pollMs = 2): Promise<number> {
    const vhost = app.vhost.split(',')[0] ?? '';
    const started = performance.now();
    await until(`${app.id} task ${task.id} answers on ${vhost}`, timeoutMs, async () => {
      const reply = await get({ port: this.httpPort, hostHeader: vhost, path: '/probe' }).catch(() => null);
      return reply !== null && reply.status === 200 && reply.body.startsWith(`app=${app.id} task=${task.id} `) ? true : null;
    }, pollMs);
    return performance.now() - started;
  }

  /** Polls the admin socket (the current worker) until the task's server takes no new requests (gone or in maint). */
  async waitUntilRemoved(app: AppSpec, task: TaskSpec, timeoutMs: number, pollMs = 5): Promise<number> {
    const backend = backendOf(app);
    const server = serverOf(task);
    const started = performance.now();
    await until(`${backend}/${server} out of rotation`, timeoutMs, async () => {
      const states = await socketCommand(this.adminSocket, `show servers state ${backend}`).catch(() => null);
      return states === null || !states.includes(backend) || inRotation(parseServersState(states), backend, server) ? null : true;
    }, pollMs);
    return performance.now() - started;
  }

  /** Waits until the config file has (or has not) a server line for the task. */
  async waitForFile(task: TaskSpec, present: boolean, timeoutMs: number): Promise<void> {
    const line = ` ${serverOf(task)} ${task.host}:${task.port} `;
    await until(`the config file ${present ? 'lists' : 'drops'} ${line.trim()}`, timeoutMs, () => (this.config().includes(line) === present ? true : null), 10);
  }

  /** The HAProxy processes on this config: master = child of switchyard, workers = children of the master. */
  tree(): HaproxyTree {
    return haproxyTree(this.configFile, this.program.child.pid ?? -1);
  }

  async showProc(): Promise<ProcList> {
    return parseShowProc(await socketCommand(this.masterSocket, 'show proc'));
  }

  /** Waits until the pipeline's counter passes `previous` (a reload or runtime update that an event caused). */
  async waitForCounter(key: 'reloads' | 'runtimeUpdates' | 'writes', previous: number, timeoutMs: number): Promise<LbStatus> {
    return until(`lb ${key} > ${previous}`, timeoutMs, async () => {
      const status = await this.lbStatus();
      return status[key] > previous ? status : null;
    }, 20);
  }

  /** Waits until the pipeline has not started a run for `quietMs` (what an event set off is done). */
  async waitForQuiet(quietMs: number, timeoutMs: number): Promise<void> {
    let last = await this.lbStatus();
    let since = performance.now();
    await until(`the load balancer quiet for ${quietMs} ms`, timeoutMs, async () => {
      const now = await this.lbStatus();
      if (now.runs !== last.runs || now.writes !== last.writes) {
        last = now;
        since = performance.now();
      }
      return performance.now() - since >= quietMs ? true : null;
    }, 20);
  }

  /** Stops switchyard (which stops its HAProxy), the fake Marathon, and removes the temp folders. */
  async stop(): Promise<void> {
    await this.program.stop();
    await this.fake.close();
    rmSync(this.dir, { recursive: true, force: true });
    rmSync(this.configDir, { recursive: true, force: true });
  }
}
