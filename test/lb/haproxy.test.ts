// ManagedHaproxy against the real haproxy 2.6 in master-worker mode, with loopback backends and temp folders: start,
// hitless reloads under load, state kept across reloads, old workers bounded by hard-stop-after, restart, stop.
import { readFileSync, writeFileSync, appendFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManagedHaproxy, type ManagedHaproxyOptions } from '../../lb/haproxy.js';
import { RuntimeApi, inMaintenance, parseServersState } from '../../lb/runtime-api.js';
import { freePorts, startEchoServer, startIdentityServer, type Backend } from '../helpers/backends.js';
import { HAPROXY_BINARY } from '../helpers/haproxy-process.js';
import { get } from '../helpers/loopback-client.js';
import {
  alive,
  collectingLogger,
  eventually,
  holdConnection,
  processesMentioning,
  removeFiles,
  startLoad,
  tempFiles,
  writeConfig,
  type CollectingLogger,
  type HaproxyFiles,
} from '../helpers/managed-haproxy-setup.js';

let files: HaproxyFiles;
let log: CollectingLogger;
let backends: Backend[] = [];
let httpPort = 0;
let tcpPort = 0;
let haproxy: ManagedHaproxy | null = null;

function writeGoodConfig(extra: readonly string[] = []): void {
  const [a, b, echo] = backends;
  if (a === undefined || b === undefined || echo === undefined) throw new Error('backends not started');
  writeConfig(files, {
    httpPort,
    tcpPort,
    web: [
      { name: 's1', host: a.host, port: a.port },
      { name: 's2', host: b.host, port: b.port },
    ],
    echo: { name: 'e1', host: echo.host, port: echo.port },
    extra,
  });
}

function managed(extra: Partial<ManagedHaproxyOptions> = {}): ManagedHaproxy {
  haproxy = new ManagedHaproxy({
    binary: HAPROXY_BINARY,
    configFile: files.configFile,
    masterSocket: files.masterSocket,
    adminSocket: files.adminSocket,
    stateFile: files.stateFile,
    logger: log.logger,
    restartBackoffMs: { initial: 200, max: 800 },
    ...extra,
  });
  return haproxy;
}

beforeEach(async () => {
  files = tempFiles('swy-haproxy-');
  log = collectingLogger();
  backends = [await startIdentityServer('127.0.0.1', 'web', 'a'), await startIdentityServer('127.0.0.2', 'web', 'b'), await startEchoServer('127.0.0.3', 'echo:')];
  [httpPort = 0, tcpPort = 0] = await freePorts(2);
  writeGoodConfig();
});

afterEach(async () => {
  await haproxy?.stop();
  haproxy = null;
  await Promise.all(backends.map((b) => b.close()));
  // Whatever a test did, nothing of it may outlive it.
  expect(processesMentioning(files.configFile)).toEqual([]);
  removeFiles(files);
});

describe('ManagedHaproxy', () => {
  it('starts a master with one current worker, and HTTP goes through it', async () => {
    const h = managed();
    await h.start();
    const procs = await h.processes();
    expect(procs.current).not.toBeNull();
    expect(procs.old).toEqual([]);
    expect(processesMentioning(files.configFile)).toEqual([procs.master, procs.current].sort((x, y) => (x ?? 0) - (y ?? 0)));
    const reply = await get({ port: httpPort });
    expect(reply.status).toBe(200);
    expect(reply.body).toMatch(/^app=web task=[ab] /);
    expect(log.lines.some((l) => l.msg === 'HAProxy started')).toBe(true);
    expect(log.lines.some((l) => /New worker \(\d+\) forked/.test(l.msg))).toBe(true);
  });

  it('reloads five times under load without a failed request, a new worker each time, saving the server state', async () => {
    const h = managed();
    await h.start();
    const first = (await h.processes()).current;
    const load = startLoad(httpPort, 6, 240);
    await eventually('20 requests sent', 5_000, () => load.sent() >= 20);
    const workers: number[] = [];
    for (let i = 0; i < 5; i += 1) {
      const result = await h.reload();
      if (!result.ok) throw new Error(`reload ${i + 1} failed: ${result.message}\n${result.output}`);
      workers.push(result.worker);
      expect((await h.processes()).current).toBe(result.worker);
      await sleep(30);
    }
    const { ok, failures, bodies } = await load.stop();
    expect(failures).toEqual([]);
    expect(ok).toBeGreaterThanOrEqual(240);
    expect([...bodies.keys()].sort()).toEqual(['a', 'b'].map((task) => `app=web task=${task} path=/ host=127.0.0.1:${httpPort}`));
    expect(new Set([first, ...workers]).size).toBe(6);
    const saved = parseServersState(readFileSync(files.stateFile, 'utf8'));
    expect(saved.map((s) => `${s.backend}/${s.server}`)).toEqual(expect.arrayContaining(['web/s1', 'web/s2', 'echo/e1']));
  });

  it('keeps a server in maintenance across a reload (the state file is loaded)', async () => {
    const h = managed();
    await h.start();
    const admin = new RuntimeApi(files.adminSocket);
    expect(await admin.run(['set server web/s2 state maint'])).toEqual(['']);
    expect((await h.reload()).ok).toBe(true);
    const [dump = ''] = await admin.run(['show servers state web']);
    const s2 = parseServersState(dump).find((s) => s.server === 's2');
    expect(s2 !== undefined && inMaintenance(s2)).toBe(true);
    for (let i = 0; i < 6; i += 1) expect((await get({ port: httpPort })).body).toMatch(/task=a /);
  });

  it('reports a rejected config with HAProxy\'s alert while the previous worker keeps serving, then reloads the fixed one', async () => {
    const h = managed();
    await h.start();
    const before = (await h.processes()).current;
    appendFileSync(files.configFile, '  no_such_keyword here\n');
    const result = await h.reload();
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.message).toMatch(/rejected the reload.*unknown keyword 'no_such_keyword'/);
    expect(result.output).toContain('[ALERT]');
    expect(result.ms).toBeLessThan(10_000); // seen from show proc at once, not by waiting for the timeout
    expect((await h.processes()).current).toBe(before);
    expect((await get({ port: httpPort })).status).toBe(200);
    writeGoodConfig();
    const fixed = await h.reload();
    expect(fixed.ok && fixed.worker !== before).toBe(true);
  });

  it('gives up on a reload that shows no new worker within reloadTimeoutMs, quoting HAProxy', async () => {
    const h = managed({ reloadTimeoutMs: 1 });
    await h.start();
    const before = (await h.processes()).current;
    const result = await h.reload();
    expect(result).toMatchObject({ ok: false, message: expect.stringContaining('no new HAProxy worker within 1 ms') });
    expect(!result.ok && result.output.includes('[NOTICE]')).toBe(true);
    // HAProxy goes on with the reload it was asked for: the new worker still comes, just after reload() gave up.
    await eventually('the late worker', 5_000, async () => ((await h.processes().catch(() => null))?.current ?? before) !== before);
  });

  it('runs concurrent reloads one after the other', async () => {
    const h = managed();
    await h.start();
    const results = await Promise.all([h.reload(), h.reload(), h.reload()]);
    const workers = results.map((r) => (r.ok ? r.worker : r.message));
    expect(new Set(workers).size).toBe(3);
    expect(workers.every((w) => typeof w === 'number')).toBe(true);
    expect((await h.processes()).current).toBe(workers[2]);
  });

  it('lets long-lived connections keep old workers only until hard-stop-after (2 s)', async () => {
    const h = managed();
    await h.start();
    const held = [];
    for (let i = 0; i < 3; i += 1) {
      held.push(await holdConnection(tcpPort)); // owned by the worker the next reload retires
      expect((await h.reload()).ok).toBe(true);
    }
    const lastReload = Date.now();
    const during = await h.processes();
    expect(during.old.length).toBeGreaterThanOrEqual(1);
    await eventually('old workers gone', 6_000, async () => (await h.processes()).old.length === 0);
    const gone = Date.now() - lastReload;
    await Promise.all(held.map((c) => c.closed)); // HAProxy closed them: nobody else does
    expect(gone).toBeLessThan(2_000 + 1_500);
    const after = await h.processes();
    expect(after.old).toEqual([]);
    expect(processesMentioning(files.configFile)).toEqual([after.master, after.current].sort((x, y) => (x ?? 0) - (y ?? 0)));
  });

  it('restarts a master killed with SIGKILL; meanwhile processes() and reload() fail cleanly', async () => {
    const h = managed({ restartBackoffMs: { initial: 400, max: 800 } });
    await h.start();
    const before = await h.processes();
    process.kill(before.master, 'SIGKILL');
    await eventually('the death logged', 2_000, () => log.lines.some((l) => l.code === 'SWY_HAPROXY_EXITED'));
    await expect(h.processes()).rejects.toMatchObject({ code: 'SWY_HAPROXY_NOT_RUNNING' });
    const refused = await h.reload();
    expect(refused).toMatchObject({ ok: false, message: expect.stringContaining('not running (restarting)') });
    const death = log.lines.find((l) => l.code === 'SWY_HAPROXY_EXITED');
    expect(death).toMatchObject({ level: 50, exit: 'SIGKILL', msg: expect.stringContaining('restarting in 400 ms') });
    await eventually('restarted', 5_000, () => h.restarts === 1);
    const after = await h.processes();
    expect(after.master).not.toBe(before.master);
    expect(alive(before.master) || (before.current !== null && alive(before.current))).toBe(false);
    expect((await get({ port: httpPort })).status).toBe(200);
    expect((await h.reload()).ok).toBe(true);
  });

  it('backs off exponentially (capped) while the restarted master keeps failing', async () => {
    const h = managed({ restartBackoffMs: { initial: 50, max: 200 } });
    await h.start();
    const { master } = await h.processes();
    writeFileSync(files.configFile, 'global\n  no_such_keyword\n');
    process.kill(master, 'SIGKILL');
    await eventually('four failed restarts', 5_000, () => log.lines.filter((l) => /restart failed/.test(l.msg)).length >= 4);
    const delays = log.lines.filter((l) => /restarting in|next attempt in/.test(l.msg)).map((l) => Number(/(\d+) ms/.exec(l.msg)?.[1]));
    expect(delays.slice(0, 5)).toEqual([50, 100, 200, 200, 200]);
    expect(h.restarts).toBe(0);
    writeGoodConfig();
    await eventually('restarted', 3_000, () => h.restarts === 1);
    expect((await get({ port: httpPort })).status).toBe(200);
  });

  it('stop() leaves no process of ours, and is idempotent', async () => {
    const h = managed();
    await h.start();
    const procs = await h.processes();
    expect((await h.reload()).ok).toBe(true);
    await holdConnection(tcpPort);
    await h.stop();
    await h.stop();
    expect(processesMentioning(files.configFile)).toEqual([]);
    expect([procs.master, procs.current].filter((p) => p !== null && alive(p))).toEqual([]);
    await expect(h.processes()).rejects.toMatchObject({ code: 'SWY_HAPROXY_NOT_RUNNING' });
    expect(await h.reload()).toMatchObject({ ok: false });
  });

  it('rejects start() with HAProxy\'s output when the config is bad, and when the binary is missing', async () => {
    writeFileSync(files.configFile, 'global\n  maxconn 100\nfrontend f\n  bind 127.0.0.1:1 bogus_bind_option\n');
    await expect(managed().start()).rejects.toMatchObject({ code: 'SWY_HAPROXY_START_FAILED', message: expect.stringContaining('bogus_bind_option') });
    await expect(managed({ binary: `${files.dir}/no-haproxy` }).start()).rejects.toMatchObject({ code: 'SWY_HAPROXY_START_FAILED', message: expect.stringMatching(/no-haproxy not found; install HAProxy 2.x .* or set lb.haproxy.binary/) });
  });
});
