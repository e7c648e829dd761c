// Benchmark scenario, one mode: N apps behind a switchyard-managed HAProxy under client load, a seeded script of task
// and structural changes, each timed from the Marathon event to HAProxy routing. I/O: processes, sockets, temp files.
import { setTimeout as sleep } from 'node:timers/promises';
import { lowFreePorts } from '../helpers/port-block.js';
import { backendOf, ChurnCluster, seededRandom, type AppSpec, type TaskSpec } from '../helpers/churn-cluster.js';
import { ChurnRig, until, type LbStatus } from '../helpers/churn-rig.js';
import { rssKb } from '../helpers/haproxy-procs.js';
import { LoadGenerator, type LoadStats, type LoadTarget } from '../helpers/lb-load.js';
import { get } from '../helpers/loopback-client.js';
import { TaskFarm } from '../helpers/task-farm.js';

export interface RunShape {
  readonly apps: number;
  readonly tasksPerApp: number;
  readonly churn: number;
  readonly structural: number;
  readonly seed: number;
  /** `option` lines of the defaults section; null: switchyard's defaults. */
  readonly defaultOptions: readonly string[] | null;
  /** Events start this far apart whether or not the previous one is routed yet; 0: one at a time, each settled. */
  readonly paceMs: number;
}

export interface RunResult {
  readonly mode: 'runtime' | 'reload';
  readonly load: LoadStats;
  readonly status: LbStatus;
  readonly startupMs: number;
  readonly addMs: readonly number[];
  readonly removeMs: readonly number[];
  readonly structuralMs: readonly number[];
  /** Requests a task got later than 100 ms after it was out of rotation in the current worker. */
  readonly lateHits: number;
  /** Events whose routing was not seen within 30 s. */
  readonly missed: number;
  readonly peakWorkers: number;
  readonly peakRssMb: number;
  readonly wallMs: number;
}

const HARD_STOP_S = 5;

export async function runMode(mode: 'runtime' | 'reload', shape: RunShape, log: (line: string) => void): Promise<RunResult> {
  const started = performance.now();
  const random = seededRandom(shape.seed);
  const farm = new TaskFarm();
  const cluster = new ChurnCluster();
  const ports = await lowFreePorts(shape.apps + shape.structural + 4);
  const sharedPorts = [ports.shift() ?? 0, ports.shift() ?? 0, ports.shift() ?? 0, ports.shift() ?? 0] as const;
  let taskCount = 0;
  const newTask = async (app: AppSpec): Promise<TaskSpec> => {
    taskCount += 1;
    const host = `127.30.${Math.floor(taskCount / 250)}.${1 + (taskCount % 250)}`;
    const id = `t${taskCount}`;
    return { id, host, port: (await farm.start(host, app.id, id)).port };
  };
  const makeApp = async (name: string): Promise<AppSpec> => {
    const servicePort = ports.shift();
    if (servicePort === undefined) throw new Error('no service port left');
    const app: AppSpec = { id: `/bench/${name}`, servicePort, vhost: `${name}.bench.test`, labels: {}, tasks: [] };
    for (let i = 0; i < shape.tasksPerApp; i += 1) app.tasks.push(await newTask(app));
    return app;
  };
  for (let i = 0; i < shape.apps; i += 1) cluster.add(await makeApp(`a${String(i).padStart(4, '0')}`));

  const rig = await ChurnRig.start(cluster, { runtimeApi: mode === 'runtime', hardStopAfterSeconds: HARD_STOP_S, defaultOptions: shape.defaultOptions, sharedPorts });
  const pool = new Map<string, string>(); // vhost → app id the load may ask for now
  let poolList: (readonly [string, string])[] | null = null; // rebuilt after a change, not per request
  const setPool = (vhost: string, app: string): void => void (pool.set(vhost, app), (poolList = null));
  const apps = (): AppSpec[] => [...cluster.apps.values()].filter((a) => pool.has(a.vhost.split(',')[0] ?? ''));
  const pickRandom = seededRandom(shape.seed + 1); // the load's own stream, so the event script is the same in every mode
  let load: LoadGenerator | null = null;
  const drains: Promise<void>[] = [];
  let peakWorkers = 0;
  let peakRssMb = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const tree = rig.tree();
      peakWorkers = Math.max(peakWorkers, tree.workers.length);
      peakRssMb = Math.max(peakRssMb, tree.all.reduce((sum, p) => sum + rssKb(p.pid), 0) / 1024);
      await sleep(200);
    }
  })();
  try {
    await rig.waitForCounter('reloads', 0, 60_000);
    for (const app of cluster.apps.values()) setPool(app.vhost, app.id);
    await rig.waitUntilRoutes(cluster.get('/bench/a0000'), cluster.get('/bench/a0000').tasks[0] as TaskSpec, 10_000);
    const startupMs = performance.now() - started;
    log(`${mode}: ${shape.apps} apps, ${taskCount} tasks up after ${(startupMs / 1000).toFixed(1)} s`);

    const pick = (): LoadTarget | null => {
      poolList ??= [...pool.entries()];
      const list = poolList;
      const entry = list[Math.floor(pickRandom() * list.length)];
      return entry === undefined ? null : { vhost: entry[0], app: entry[1] };
    };
    load = new LoadGenerator({ port: rig.httpPort, closeLoops: 4, keepAliveLoops: 4, pick, pauseMs: 5, maxMs: 15 * 60_000, maxRequests: 5_000_000 });
    const addMs: number[] = [];
    const removeMs: number[] = [];
    const structuralMs: number[] = [];
    let lateHits = 0;
    const settle = async (before: number): Promise<void> => {
      await rig.waitForCounter('writes', before, 30_000);
      await sleep(50);
    };

    const addedAt = new Map<string, number>(); // task id → churn event that started it
    let missed = 0;
    const measure = (list: number[], probe: Promise<number>, sent: number): Promise<void> =>
      probe.then(
        () => void list.push(performance.now() - sent),
        (error: Error) => {
          missed += 1;
          log(`${mode}: ${error.message}`);
        },
      );
    /** Changes the cluster and sends the event; returns the measurement, which runs on while the next events go. */
    const churn = async (i: number): Promise<{ measured: Promise<void> }> => {
      const list = apps();
      const app = list[Math.floor(random() * list.length)];
      if (app === undefined) throw new Error('no app');
      const before = shape.paceMs > 0 ? 0 : (await rig.lbStatus()).writes;
      // Only tasks whose start is well past are stopped, so that no start is still being measured (deterministic).
      const old = app.tasks.filter((t) => (addedAt.get(t.id) ?? -1_000) <= i - 20);
      let measured: Promise<void>;
      if (app.tasks.length <= 1 || old.length === 0 || (app.tasks.length < shape.tasksPerApp + 2 && random() < 0.5)) {
        const task = await newTask(app);
        app.tasks.push(task);
        addedAt.set(task.id, i);
        const sent = rig.publish(cluster, app, task);
        measured = measure(addMs, rig.waitUntilRoutes(app, task, 30_000, shape.paceMs > 0 ? 10 : 2), sent);
      } else {
        const task = old[Math.floor(random() * old.length)] as TaskSpec;
        app.tasks.splice(app.tasks.indexOf(task), 1);
        const sent = rig.publish(cluster, app, task, 'TASK_KILLED');
        measured = measure(removeMs, rig.waitUntilRemoved(app, task, 30_000, shape.paceMs > 0 ? 10 : 2), sent).then(() => {
          const hits = sleep(100).then(() => farm.hitsOf(task));
          drains.push(sleep(1_000).then(async () => {
            lateHits += farm.hitsOf(task) - (await hits);
            await farm.stop(task);
          }));
        });
      }
      if (shape.paceMs > 0) return { measured };
      await measured;
      await settle(before);
      return { measured };
    };

    const retire = async (vhost: string): Promise<void> => {
      pool.delete(vhost);
      poolList = null;
      await until(`requests to ${vhost} finished`, 10_000, () => (load?.inFlight(vhost) === 0 ? true : null), 5);
    };
    const structural = async (n: number): Promise<void> => {
      const before = await rig.lbStatus();
      const list = apps();
      const app = list[Math.floor(random() * list.length)];
      if (app === undefined) throw new Error('no app');
      let sent = 0;
      switch (n % 5) {
        case 0: {
          const fresh = cluster.add(await makeApp(`new${n}`));
          sent = rig.publish(cluster, fresh, fresh.tasks[0] ?? null);
          await rig.waitUntilRoutes(fresh, fresh.tasks[0] as TaskSpec, 30_000);
          setPool(fresh.vhost, fresh.id);
          break;
        }
        case 1: {
          const alias = `alias${n}.bench.test`;
          app.vhost = `${app.vhost},${alias}`;
          sent = rig.publish(cluster, app, null);
          await until(`${alias} routes`, 30_000, async () => ((await get({ port: rig.httpPort, hostHeader: alias }).catch(() => null))?.body.startsWith(`app=${app.id} `) ? true : null), 2);
          setPool(alias, app.id);
          break;
        }
        case 2:
          app.labels.HAPROXY_0_BALANCE = app.labels.HAPROXY_0_BALANCE === 'leastconn' ? 'roundrobin' : 'leastconn';
          sent = rig.publish(cluster, app, null);
          await rig.waitForCounter('reloads', before.reloads, 30_000);
          break;
        case 3: {
          for (const vhost of app.vhost.split(',')) await retire(vhost);
          app.vhost = `renamed${n}.bench.test`;
          sent = rig.publish(cluster, app, null);
          await rig.waitUntilRoutes(app, app.tasks[0] as TaskSpec, 30_000);
          setPool(app.vhost, app.id);
          break;
        }
        default: {
          for (const vhost of app.vhost.split(',')) await retire(vhost);
          cluster.remove(app.id);
          sent = rig.publish(cluster, app, null);
          await until(`${backendOf(app)} gone`, 30_000, () => (rig.config().includes(`backend ${backendOf(app)}\n`) ? null : true), 5);
          await rig.waitForCounter('reloads', before.reloads, 30_000);
          for (const task of app.tasks) drains.push(sleep(1_000).then(() => farm.stop(task)));
        }
      }
      structuralMs.push(performance.now() - sent);
      if (shape.paceMs === 0) await settle(before.writes);
    };

    const every = Math.max(1, Math.floor(shape.churn / Math.max(1, shape.structural)));
    let done = 0;
    const measuring: Promise<void>[] = [];
    let next = performance.now();
    for (let i = 0; i < shape.churn; i += 1) {
      if (shape.paceMs > 0) {
        await sleep(Math.max(0, next - performance.now()));
        next = Math.max(performance.now(), next) + shape.paceMs;
      }
      measuring.push((await churn(i)).measured);
      if ((i + 1) % every === 0 && done < shape.structural) {
        // Task events are timed on their own: a structural change waits until they are routed and the pipeline is idle.
        await Promise.all(measuring);
        await rig.waitForQuiet(200, 30_000);
        await structural(done++);
      }
      if ((i + 1) % 50 === 0) log(`${mode}: ${i + 1}/${shape.churn} churn events, ${done} structural, ${(load.stats().requests / 1000).toFixed(0)}k requests`);
    }
    while (done < shape.structural) await structural(done++);
    await Promise.all(measuring);
    await Promise.all(drains);
    // A new worker may answer a little before the reload that started it is counted: read the counters once idle.
    await rig.waitForQuiet(300, 30_000);
    const loadStats = await load.stop();
    load = null;
    return { mode, load: loadStats, status: await rig.lbStatus(), startupMs, addMs, removeMs, structuralMs, lateHits, missed, peakWorkers, peakRssMb, wallMs: performance.now() - started };
  } catch (error) {
    log(`${mode} failed: ${(error as Error).message}\n/v1/lb: ${JSON.stringify(await rig.lbStatus().catch(() => null))}\n${rig.program.tail()}`);
    throw error;
  } finally {
    sampling = false;
    await sampler;
    await load?.stop();
    await Promise.allSettled(drains);
    await rig.stop();
    await farm.close();
  }
}
