// Task churn under load: the built switchyard manages a real HAProxy; 50 task starts/stops go through the runtime
// API and 5 structural changes reload it, while clients keep sending requests. I/O: processes, sockets, temp files.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lowFreePorts } from '../helpers/port-block.js';
import { backendOf, ChurnCluster, seededRandom, serverOf, type AppSpec, type TaskSpec } from '../helpers/churn-cluster.js';
import { ChurnRig, until, type LbStatus } from '../helpers/churn-rig.js';
import { failedRequests, LoadGenerator, type LoadStats, type LoadTarget } from '../helpers/lb-load.js';
import { get } from '../helpers/loopback-client.js';
import { TaskFarm } from '../helpers/task-farm.js';

const HARD_STOP_S = 5;
// switchyard's defaults plus idle-close-on-response: without it a worker that a reload retires closes its idle
// keep-alive connections at once (HAProxy >= 2.4), and a client that sends on one just then gets "socket hang up"
// (1 to 5 per run of this test). With it the old worker answers that request with Connection: close.
const DEFAULT_OPTIONS = ['redispatch', 'http-server-close', 'dontlognull', 'idle-close-on-response'];
const CHURN_EVENTS = 50;
/** After which churn events (0-based) a structural change follows. */
const STRUCTURAL_AFTER = new Set([9, 19, 29, 39, 49]);

describe('load balancer under task churn: runtime API for servers, reloads for structure, no failed request', () => {
  const farm = new TaskFarm();
  const cluster = new ChurnCluster();
  const pool = new Map<string, string>(); // vhost → app id the load may ask for now
  const random = seededRandom(4);
  let rig: ChurnRig;
  let ports: number[] = [];
  let load: LoadGenerator;
  let loadStats: LoadStats | null = null;
  let taskCount = 0;
  const routedAfterRemoval: string[] = [];
  const drains: Promise<void>[] = [];
  const addMs: number[] = [];
  const removeMs: number[] = [];
  let initial: LbStatus;
  let afterChurn: LbStatus;
  let structural = 0;
  let slow: Promise<{ outcome: unknown; at: number }> = Promise.resolve({ outcome: null, at: 0 });
  let lastReloadAt = 0;
  const timeline: string[] = [];

  const newTask = async (app: AppSpec): Promise<TaskSpec> => {
    taskCount += 1;
    const host = `127.0.${21 + Math.floor(taskCount / 250)}.${1 + (taskCount % 250)}`;
    const id = `t${taskCount}`;
    const started = await farm.start(host, app.id, id);
    return { id, host, port: started.port };
  };

  const makeApp = async (name: string, tasks: number): Promise<AppSpec> => {
    const servicePort = ports.shift();
    if (servicePort === undefined) throw new Error('no reserved service port left');
    const app: AppSpec = { id: `/${name}`, servicePort, vhost: `${name}.test`, labels: {}, tasks: [] };
    for (let i = 0; i < tasks; i += 1) app.tasks.push(await newTask(app));
    return app;
  };

  const pick = (): LoadTarget | null => {
    const entries = [...pool.entries()];
    const entry = entries[Math.floor(random() * entries.length)];
    return entry === undefined ? null : { vhost: entry[0], app: entry[1] };
  };

  /** Takes a vhost out of the load and waits until no request to it is on the way. */
  const retire = async (vhost: string): Promise<void> => {
    pool.delete(vhost);
    await until(`requests to ${vhost} finished`, 5_000, () => (load.inFlight(vhost) === 0 ? true : null), 5);
  };

  const addTask = async (app: AppSpec): Promise<void> => {
    const before = (await rig.lbStatus()).writes;
    const task = await newTask(app);
    app.tasks.push(task);
    const sent = rig.publish(cluster, app, task);
    await rig.waitUntilRoutes(app, task, 5_000);
    addMs.push(performance.now() - sent);
    await rig.waitForCounter('writes', before, 5_000);
    await rig.waitForFile(task, true, 5_000);
  };

  const removeTask = async (app: AppSpec): Promise<void> => {
    const before = (await rig.lbStatus()).writes;
    const [task] = app.tasks.splice(Math.floor(random() * app.tasks.length), 1);
    if (task === undefined) throw new Error(`${app.id} has no task`);
    const sent = rig.publish(cluster, app, task, 'TASK_KILLED');
    await rig.waitUntilRemoved(app, task, 5_000);
    removeMs.push(performance.now() - sent);
    await rig.waitForCounter('writes', before, 5_000);
    await rig.waitForFile(task, false, 5_000);
    // As a real cluster drains: the task keeps running a while after HAProxy let go of it, and must get nothing.
    const hits = farm.hitsOf(task);
    drains.push(
      sleep(600).then(async () => {
        const later = farm.hitsOf(task);
        if (later > hits) routedAfterRemoval.push(`${app.id} ${task.id}: ${later - hits} requests after its removal`);
        await farm.stop(task);
      }),
    );
  };

  const churn = async (i: number): Promise<void> => {
    const apps = [...cluster.apps.values()].filter((a) => pool.has(a.vhost.split(',')[0] ?? ''));
    const app = apps[Math.floor(random() * apps.length)];
    if (app === undefined) throw new Error('no app to churn');
    const add = app.tasks.length <= 1 || (app.tasks.length < 4 && random() < 0.5);
    await (add ? addTask(app) : removeTask(app));
    if (i % 10 === 5) expect((await rig.lbStatus()).reloads, `event ${i} reloaded`).toBe(initial.reloads + structural);
  };

  /** The five structural changes, in order; each must reload once and route as described. */
  const structuralChange = async (n: number): Promise<void> => {
    const before = await rig.lbStatus();
    timeline.push(`${Date.now()} structural ${n} published`);
    if (n === 0) {
      const app = cluster.add(await makeApp('fresh', 2));
      rig.publish(cluster, app, app.tasks[0] ?? null);
      await rig.waitForCounter('reloads', before.reloads, 10_000);
      await rig.waitUntilRoutes(app, app.tasks[0] as TaskSpec, 5_000);
      pool.set(app.vhost, app.id);
    } else if (n === 1) {
      const app = cluster.get('/app2');
      app.vhost = 'app2.test,alias2.test';
      rig.publish(cluster, app, null);
      await rig.waitForCounter('reloads', before.reloads, 10_000);
      await until('alias2.test routes to /app2', 5_000, async () => ((await get({ port: rig.httpPort, hostHeader: 'alias2.test' })).body.startsWith('app=/app2 ') ? true : null));
      pool.set('alias2.test', app.id);
    } else if (n === 2) {
      cluster.get('/app3').labels.HAPROXY_0_BALANCE = 'leastconn';
      rig.publish(cluster, cluster.get('/app3'), null);
      await rig.waitForCounter('reloads', before.reloads, 10_000);
      expect(rig.config()).toMatch(new RegExp(`backend ${backendOf(cluster.get('/app3'))}\\n\\s+balance leastconn`));
    } else if (n === 3) {
      const app = cluster.get('/app4');
      await retire('app4.test');
      app.vhost = 'renamed4.test';
      rig.publish(cluster, app, null);
      await rig.waitForCounter('reloads', before.reloads, 10_000);
      await rig.waitUntilRoutes(app, app.tasks[0] as TaskSpec, 5_000);
      expect((await get({ port: rig.httpPort, hostHeader: 'app4.test' })).status).toBe(503);
      pool.set('renamed4.test', app.id);
    } else {
      // A request that outlives the reload keeps the old worker draining until hard-stop-after cuts it.
      slow = get({ port: rig.httpPort, hostHeader: 'app1.test', path: '/slow/20000', timeoutMs: 25_000 })
        .catch((error: Error) => error)
        .then((outcome) => ({ outcome, at: Date.now() }));
      await sleep(100);
      await retire('app5.test');
      const gone = cluster.remove('/app5');
      rig.publish(cluster, gone, null);
      await rig.waitForCounter('reloads', before.reloads, 10_000);
      lastReloadAt = Date.now();
      expect(rig.config()).not.toContain(`backend ${backendOf(gone)}`);
      for (const task of gone.tasks) drains.push(sleep(600).then(() => farm.stop(task)));
    }
    structural += 1;
    timeline.push(`${Date.now()} structural ${n} reloaded`);
    expect((await rig.lbStatus()).reloads, `structural change ${n}`).toBe(before.reloads + 1);
  };

  beforeAll(async () => {
    ports = await lowFreePorts(10);
    const sharedPorts = [ports.shift() ?? 0, ports.shift() ?? 0, ports.shift() ?? 0, ports.shift() ?? 0] as const;
    for (let i = 1; i <= 5; i += 1) cluster.add(await makeApp(`app${i}`, 2));
    rig = await ChurnRig.start(cluster, { runtimeApi: true, hardStopAfterSeconds: HARD_STOP_S, defaultOptions: DEFAULT_OPTIONS, sharedPorts });
    for (const app of cluster.apps.values()) {
      await rig.waitUntilRoutes(app, app.tasks[0] as TaskSpec, 5_000);
      pool.set(app.vhost, app.id);
    }
    // The first start counts as a reload once the managed HAProxy reported it up, which may be after it accepts.
    initial = await rig.waitForCounter('reloads', 0, 10_000);
    load = new LoadGenerator({ port: rig.httpPort, closeLoops: 3, keepAliveLoops: 3, pick, pauseMs: 3, maxMs: 120_000, maxRequests: 500_000 });
  }, 60_000);

  afterAll(async () => {
    loadStats ??= (await load?.stop()) ?? null;
    await Promise.allSettled(drains);
    await rig?.stop();
    await farm.close();
  });

  it('starts HAProxy once for the first config, counted as one reload, with nothing else done', () => {
    expect(initial).toMatchObject({ reloads: 1, runtimeUpdates: 0, runtimeFailures: 0, failures: 0, lastError: null });
  });

  it('routes each of 50 task starts and stops, and 5 structural changes, while requests keep flowing', async () => {
    for (let i = 0; i < CHURN_EVENTS; i += 1) {
      await churn(i);
      if (STRUCTURAL_AFTER.has(i)) await structuralChange(structural);
      await sleep(100 + Math.floor(random() * 100));
    }
    afterChurn = await rig.lbStatus();
    expect(routedAfterRemoval).toEqual([]);
  }, 60_000);

  it('applies every task change through the runtime API and reloads only for the structural changes', () => {
    expect(afterChurn).toMatchObject({ reloads: 1 + STRUCTURAL_AFTER.size, runtimeUpdates: CHURN_EVENTS, runtimeFailures: 0, failures: 0, lastError: null, pendingRemovals: [] });
  });

  it('writes the config file to match: every task of every app, nothing else', () => {
    const text = rig.config();
    for (const app of cluster.apps.values()) {
      const section = text.split(`\nbackend ${backendOf(app)}\n`)[1]?.split(/\n(?:backend|frontend|listen) /)[0] ?? '';
      const servers = [...section.matchAll(/^\s+server (\S+) /gm)].map((m) => m[1]).sort();
      expect(servers, app.id).toEqual(app.tasks.map(serverOf).sort());
    }
  });

  it('leaves one master and one current worker, old workers only while draining, none after hard-stop-after', async () => {
    const tree = rig.tree();
    const procs = await rig.showProc();
    expect(tree.masters.map((m) => m.pid)).toEqual([procs.master]);
    expect(procs.current).toHaveLength(1);
    // The worker that holds the slow request is still draining; every worker is the current one or a listed old one.
    expect(procs.old.length).toBeGreaterThanOrEqual(1);
    expect(tree.workers.map((w) => w.pid).sort()).toEqual([...procs.current, ...procs.old].sort());
    await until('old workers gone', (HARD_STOP_S + 3) * 1000, () => (rig.tree().workers.length === 1 ? true : null), 50);
    const drainedAfterMs = Date.now() - lastReloadAt;
    expect(drainedAfterMs).toBeGreaterThan((HARD_STOP_S - 1) * 1000);
    // The master lists an old worker until it has reaped it, which can come a moment after the process is gone.
    const after = await until('the master to list no old worker', 2000, async () => {
      const listed = await rig.showProc();
      return listed.old.length === 0 ? listed : null;
    }, 50);
    expect(after).toMatchObject({ master: procs.master, current: procs.current, old: [] });
    expect(rig.tree().all).toHaveLength(2);
    // hard-stop-after cut the 20 s request about 5 s after the reload (HAProxy 2.6 answers 502 as it kills the stream).
    const cut = await slow;
    expect(cut.at - lastReloadAt).toBeLessThan((HARD_STOP_S + 2) * 1000);
    expect(cut.outcome instanceof Error || (cut.outcome as { status?: number }).status === 502, JSON.stringify(cut.outcome)).toBe(true);
  }, 20_000);

  it('failed no request: no error, no 5xx, no answer from the wrong app, on new and keep-alive connections', async () => {
    loadStats = await load.stop();
    const { problems, ...counts } = loadStats;
    expect(counts.closeRequests).toBeGreaterThan(500);
    expect(counts.keepAliveRequests).toBeGreaterThan(500);
    expect({ failed: failedRequests(loadStats), problems }, `reloads at:\n${timeline.join('\n')}`).toEqual({ failed: 0, problems: [] });
    console.log(`lb-churn: ${JSON.stringify(counts)}; event→routing add p50/max ${median(addMs)}/${Math.max(...addMs).toFixed(0)} ms, remove ${median(removeMs)}/${Math.max(...removeMs).toFixed(0)} ms`);
  });
});

function median(values: readonly number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  return (sorted[Math.floor(sorted.length / 2)] ?? Number.NaN).toFixed(0);
}
