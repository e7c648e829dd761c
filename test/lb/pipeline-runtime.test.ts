// The pipeline driving a real, managed HAProxy on loopback: the first config starts it, task churn goes through the
// runtime API without a reload (and the file follows), structural changes reload, and a failed runtime update falls
// back to a reload so HAProxy and the file agree again.
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { ManagedHaproxy } from '../../lb/haproxy.js';
import { LbPipeline } from '../../lb/pipeline.js';
import { ManagedReloader } from '../../lb/reloaders.js';
import type { RuntimeClient } from '../../lb/runtime-apply.js';
import { RuntimeApi } from '../../lb/runtime-api.js';
import { loadTemplateSet } from '../../lb/template-files.js';
import { normalizeMarathon } from '../../state-poller/marathon-normalize.js';
import type { MarathonState } from '../../state-poller/model.js';
import { connect, createServer } from 'node:net';
import { freePorts, startEchoServer, startIdentityServer, type Backend } from '../helpers/backends.js';
import { MLB_DEFAULTS } from '../helpers/lb-generate.js';
import { get } from '../helpers/loopback-client.js';
import { selfSignedPem } from '../helpers/tls.js';
import { DiagnosticLog } from '../../state-poller/diagnostic-log.js';
import { runInSlices } from '../../state-poller/slices.js';

const logger = pino({ level: 'silent' });
const diagnosticLog = new DiagnosticLog(logger);
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Rig {
  pipeline: LbPipeline;
  haproxy: ManagedHaproxy;
  configFile: string;
  httpPort: number;
  servicePort: number;
  tasks: Backend[];
  state(taskCount: number, vhost?: string): MarathonState;
  hits(vhost: string, n: number): Promise<Map<string, number>>;
}

/** `checkBinary`: what runs `haproxy -c` (a wrapper around the real one, to hold or fail a check). */
async function rig(runtimeWrapper: (api: RuntimeApi) => RuntimeClient = (api) => api, tcp = false, checkBinary = 'haproxy'): Promise<Rig> {
  const dir = mkdtempSync(join(tmpdir(), 'swy-runtime-'));
  const [httpPort = 0, httpsPort = 0, statsPort = 0, appIdPort = 0, servicePort = 0] = await freePorts(5);
  const tasks = await Promise.all([1, 2, 3].map((n) => (tcp ? startEchoServer(`127.0.21.${n}`, `t${n}\n`) : startIdentityServer(`127.0.20.${n}`, 'web', `t${n}`))));
  cleanups.push(async () => void (await Promise.all(tasks.map((t) => t.close()))));
  const configFile = join(dir, 'haproxy.cfg');
  const adminSocket = join(dir, 'admin.sock');
  const view = {
    ...MLB_DEFAULTS,
    groups: ['*'],
    haproxyDir: dir,
    bindAddress: '127.0.0.1',
    httpPort,
    httpsPort,
    statsPort,
    appIdPort,
    sslCerts: [selfSignedPem(dir)],
    statsSocket: adminSocket,
    serverStateFile: join(dir, 'haproxy.state'),
    maxconn: 2000,
    hardStopAfterSeconds: 5,
    syslogSocket: null,
  };
  const haproxy = new ManagedHaproxy({ binary: 'haproxy', configFile, masterSocket: join(dir, 'master.sock'), adminSocket, stateFile: view.serverStateFile, logger });
  cleanups.push(() => haproxy.stop());
  const { set } = await loadTemplateSet(null);
  const pipeline = new LbPipeline(
    {
      view,
      configFile,
      haproxyBinary: checkBinary,
      skipValidation: false,
      logger,
      reloader: new ManagedReloader(haproxy),
      runtime: runtimeWrapper(new RuntimeApi(adminSocket)),
      minReloadIntervalMs: 0,
      removalDeadlineMs: 5000,
      reportDiagnostics: (diagnostics) => diagnosticLog.report(diagnostics),
      run: runInSlices,
    },
    set,
  );
  cleanups.push(() => pipeline.close());
  const state = (taskCount: number, vhost = 'web.test'): MarathonState => {
    const result = normalizeMarathon({
      apps: [
        {
          id: '/web',
          labels: tcp ? { HAPROXY_0_MODE: 'tcp', HAPROXY_0_BIND_ADDR: '127.0.0.1' } : { HAPROXY_0_VHOST: vhost, HAPROXY_0_BIND_ADDR: '127.0.0.1' },
          portDefinitions: [{ port: servicePort }],
          tasks: tasks.slice(0, taskCount).map((t, i) => ({ id: `web.${i + 1}`, host: t.host, ports: [t.port], state: 'TASK_RUNNING' })),
        },
      ],
    });
    if (!result.ok) throw new Error(result.message);
    return { ...result.state, hosts: {} };
  };
  const hits = async (vhost: string, n: number): Promise<Map<string, number>> => {
    const seen = new Map<string, number>();
    for (let i = 0; i < n; i++) {
      const reply = await get({ port: httpPort, hostHeader: vhost });
      const key = reply.status === 200 ? (/task=(\S+)/.exec(reply.body)?.[1] ?? '?') : `status ${reply.status}`;
      seen.set(key, (seen.get(key) ?? 0) + 1);
    }
    return seen;
  };
  return { pipeline, haproxy, configFile, httpPort, servicePort, tasks, state, hits };
}

/** A `haproxy -c` that waits while `gate` exists, and fails once (removing the file) when `failOnce` exists. */
function checkWrapper(): { binary: string; gate: string; failOnce: string } {
  const dir = mkdtempSync(join(tmpdir(), 'swy-check-'));
  const gate = join(dir, 'gate');
  const failOnce = join(dir, 'fail-once');
  const binary = join(dir, 'haproxy-check');
  writeFileSync(binary, `#!/bin/sh\nwhile [ -e '${gate}' ]; do sleep 0.05; done\nif [ -e '${failOnce}' ]; then rm -f '${failOnce}'; echo '[ALERT]    (1) : config : refused by the test' >&2; exit 1; fi\nexec haproxy "$@"\n`);
  chmodSync(binary, 0o755);
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  return { binary, gate, failOnce };
}

async function eventually<T>(probe: () => Promise<T | null>, what: string): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const value = await probe();
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error(`${what} within 10 s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('LbPipeline with a managed HAProxy', () => {
  it('starts HAProxy, applies task churn without reloads, reloads for structure', async () => {
    const r = await rig();
    expect(await r.pipeline.update(r.state(1), 'first')).toMatchObject({ kind: 'written', reloaded: true, runtime: false });
    expect([...(await r.hits('web.test', 3)).keys()]).toEqual(['t1']);
    const started = (await r.haproxy.processes()).current;

    expect(await r.pipeline.update(r.state(3), 'scaled up')).toMatchObject({ kind: 'written', reloaded: false, runtime: true });
    expect([...(await r.hits('web.test', 9)).keys()].sort()).toEqual(['t1', 't2', 't3']);
    expect(readFileSync(r.configFile, 'utf8')).toContain(`127.0.20.3:${r.tasks[2]?.port}`);

    expect(await r.pipeline.update(r.state(2), 'scaled down')).toMatchObject({ kind: 'written', runtime: true });
    expect([...(await r.hits('web.test', 8)).keys()].sort()).toEqual(['t1', 't2']);
    expect(readFileSync(r.configFile, 'utf8')).not.toContain('127.0.20.3');
    expect((await r.haproxy.processes()).current).toBe(started); // no reload so far

    expect(await r.pipeline.update(r.state(2, 'other.test'), 'vhost changed')).toMatchObject({ kind: 'written', reloaded: true });
    expect([...(await r.hits('other.test', 4)).keys()].sort()).toEqual(['t1', 't2']);
    expect((await r.hits('web.test', 1)).get('status 503')).toBe(1);
    const status = r.pipeline.status();
    expect(status).toMatchObject({ reloads: 2, runtimeUpdates: 2, runtimeFailures: 0, failures: 0, pendingRemovals: [] });
    expect(status.lastReload?.why).toMatch(/settings of web_\d+ changed|shared frontends/);
    expect((await r.haproxy.processes()).current).not.toBe(started);
  }, 30_000);

  it('falls back to a validated reload when the runtime API fails, and serves the new servers', async () => {
    let broken = false;
    const r = await rig((api) => ({
      run: async (commands) => {
        if (broken) throw new Error('socket gone');
        return api.run(commands);
      },
    }));
    await r.pipeline.update(r.state(1), 'first');
    broken = true;
    expect(await r.pipeline.update(r.state(2), 'scaled up')).toMatchObject({ kind: 'written', reloaded: true, runtime: false });
    expect(r.pipeline.status()).toMatchObject({ reloads: 2, runtimeUpdates: 0, runtimeFailures: 1 });
    expect(r.pipeline.status().lastReload?.why).toMatch(/runtime update failed: the runtime API is unreachable: socket gone/);
    expect([...(await r.hits('web.test', 6)).keys()].sort()).toEqual(['t1', 't2']);
  }, 30_000);

  it('keeps a removed server that still has a connection in maintenance, and deletes it once the connection ends', async () => {
    const r = await rig((api) => api, true);
    await r.pipeline.update(r.state(2), 'first');
    // Hold a connection through HAProxy until it reaches the second task.
    let held: ReturnType<typeof connect> | null = null;
    for (let i = 0; i < 10 && held === null; i++) {
      const socket = connect(r.servicePort, '127.0.0.1');
      const greeting = await new Promise<string>((resolve) => socket.once('data', (d) => resolve(d.toString())));
      if (greeting.startsWith('t2')) held = socket;
      else socket.destroy();
    }
    expect(held).not.toBeNull();
    expect(await r.pipeline.update(r.state(1), 'task 2 stopped')).toMatchObject({ kind: 'written', runtime: true });
    const server = `web_${r.servicePort}/127_0_21_2_${r.tasks[1]?.port}`;
    expect(r.pipeline.status().pendingRemovals).toEqual([server]);
    // New connections no longer reach it (it is in maintenance), while the held one still works.
    for (let i = 0; i < 4; i++) {
      const socket = connect(r.servicePort, '127.0.0.1');
      expect(await new Promise<string>((resolve) => socket.once('data', (d) => resolve(d.toString())))).toBe('t1\n');
      socket.destroy();
    }
    held?.destroy();
    const deadline = Date.now() + 5000;
    while (r.pipeline.status().pendingRemovals.length > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(r.pipeline.status().pendingRemovals).toEqual([]);
    expect(r.pipeline.status().reloads).toBe(1);
  }, 30_000);

  it('retries a failed first start until HAProxy runs (a port still taken at start)', async () => {
    const r = await rig();
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(r.httpPort, '127.0.0.1', resolve));
    expect(await r.pipeline.update(r.state(1), 'first')).toMatchObject({ kind: 'failed', code: 'SWY_LB_RELOAD_FAILED' });
    await new Promise<void>((resolve) => blocker.close(() => resolve()));
    const deadline = Date.now() + 10_000;
    while (r.pipeline.status().reloads === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(r.pipeline.status()).toMatchObject({ reloads: 1, lastError: null });
    expect([...(await r.hits('web.test', 2)).keys()]).toEqual(['t1']);
  }, 30_000);

  it('under a burst, routes each change through the runtime API first and writes the file once it is quiet', async () => {
    const r = await rig();
    await r.pipeline.update(r.state(1), 'first');
    const outcomes = await Promise.all([r.pipeline.update(r.state(2), 'a'), r.pipeline.update(r.state(3), 'b'), r.pipeline.update(r.state(2), 'c')]);
    expect(outcomes.every((o) => o.kind === 'written' && o.runtime)).toBe(true);
    await r.pipeline.idle();
    expect(readFileSync(r.configFile, 'utf8')).toContain('127.0.20.2');
    expect(readFileSync(r.configFile, 'utf8')).not.toContain('127.0.20.3');
    expect(r.pipeline.status()).toMatchObject({ reloads: 1, failures: 0 });
    expect([...(await r.hits('web.test', 6)).keys()].sort()).toEqual(['t1', 't2']);
  }, 30_000);

  it('routes the next task event while the file for the last one is still being checked', async () => {
    const check = checkWrapper();
    const r = await rig(undefined, false, check.binary);
    await r.pipeline.update(r.state(1), 'first');
    writeFileSync(check.gate, ''); // every haproxy -c from now on waits
    const second = r.pipeline.update(r.state(2), 'task 2 started');
    await eventually(async () => ((await r.hits('web.test', 4)).has('t2') ? true : null), 'HAProxy routes to task 2');
    const third = r.pipeline.update(r.state(3), 'task 3 started');
    await eventually(async () => ((await r.hits('web.test', 6)).has('t3') ? true : null), 'HAProxy routes to task 3');
    // Both were routed through the runtime API while the file (held in its check) still has task 1 only.
    expect(readFileSync(r.configFile, 'utf8')).not.toContain('127.0.20.2');
    expect(r.pipeline.status()).toMatchObject({ runtimeUpdates: 2, reloads: 1, writes: 1 });
    rmSync(check.gate);
    expect(await second).toMatchObject({ kind: 'written', runtime: true, reloaded: false });
    expect(await third).toMatchObject({ kind: 'written', runtime: true, reloaded: false });
    await r.pipeline.idle();
    expect(readFileSync(r.configFile, 'utf8')).toContain(`127.0.20.3:${r.tasks[2]?.port}`);
    expect(r.pipeline.status()).toMatchObject({ runtimeUpdates: 2, reloads: 1, failures: 0 });
    expect(existsSync(check.gate)).toBe(false);
  }, 30_000);

  it('reloads when the file for the runtime servers does not validate, so HAProxy and the file agree again', async () => {
    const check = checkWrapper();
    const r = await rig(undefined, false, check.binary);
    await r.pipeline.update(r.state(1), 'first');
    writeFileSync(check.failOnce, '');
    expect(await r.pipeline.update(r.state(2), 'task 2 started')).toMatchObject({ kind: 'written', runtime: true });
    await r.pipeline.idle();
    expect(existsSync(check.failOnce)).toBe(false);
    expect(r.pipeline.status()).toMatchObject({ runtimeUpdates: 1, reloads: 2, lastError: null });
    expect(r.pipeline.status().lastReload?.why).toMatch(/the file with the new servers did not validate: .*refused by the test/);
    expect(readFileSync(r.configFile, 'utf8')).toContain(`127.0.20.2:${r.tasks[1]?.port}`);
    expect([...(await r.hits('web.test', 6)).keys()].sort()).toEqual(['t1', 't2']);
  }, 30_000);
});
