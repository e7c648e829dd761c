// End to end, the load-balancer half: the built switchyard reads apps from a fake Marathon and writes haproxy.cfg, a
// real HAProxy runs it, and requests to loopback reach the loopback tasks. I/O: processes, sockets, temp files.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePorts, startEchoServer, startIdentityServer, type Backend } from '../helpers/backends.js';
import { FakeMarathon } from '../helpers/fake-marathon.js';
import { startHaproxy, type HaproxyProcess } from '../helpers/haproxy-process.js';
import { get, tcpExchange } from '../helpers/loopback-client.js';
import { startProgram, writeConfig, type Program } from '../helpers/program.js';
import { selfSignedPem } from '../helpers/tls.js';
import type { PipelineStatus } from '../../lb/pipeline-types.js';

// One loopback address per task, so a reply's body and the task it came from cannot be confused.
const ADDR = { web1: '127.0.10.1', web2: '127.0.10.2', web3: '127.0.10.3', echo: '127.0.10.4', apiV1: '127.0.10.5', apiRoot: '127.0.10.6', evil: '127.0.10.7' };

interface TaskAt {
  readonly host: string;
  readonly port: number;
}

/** A Marathon app in host networking with one service port, bound to 127.0.0.1 and in the served group. */
function app(id: string, servicePort: number, labels: Record<string, string>, tasks: readonly TaskAt[]): Record<string, unknown> {
  const slug = id.slice(1).replaceAll('/', '_');
  return {
    id,
    instances: tasks.length,
    labels: { HAPROXY_GROUP: 'external', HAPROXY_0_BIND_ADDR: '127.0.0.1', ...labels },
    portDefinitions: [{ port: servicePort, protocol: 'tcp', labels: {} }],
    healthChecks: [],
    deployments: [],
    tasks: tasks.map((t, i) => ({
      id: `${slug}.task${i + 1}`,
      appId: id,
      host: t.host,
      ports: [t.port],
      ipAddresses: [{ ipAddress: t.host, protocol: 'IPv4' }],
      state: 'TASK_RUNNING',
      slaveId: `agent-${i + 1}`,
      stagedAt: '2024-01-02T10:00:01.000Z',
      startedAt: '2024-01-02T10:00:05.000Z',
      version: '2024-01-02T10:00:00.000Z',
    })),
  };
}

async function until<T>(what: string, timeoutMs: number, probe: () => T | null | Promise<T | null>, detail: () => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs} ms; ${detail()}`);
    await sleep(25);
  }
}

/** What GET /v1/lb answers, decoded from JSON. */
type LbStatus = PipelineStatus;

describe('load balancer end to end: fake Marathon → switchyard → haproxy.cfg → real HAProxy → loopback tasks', () => {
  const dirs: string[] = [];
  const backends: Backend[] = [];
  const haproxies: HaproxyProcess[] = [];
  let fake: FakeMarathon;
  let program: Program;
  let haproxy: HaproxyProcess;
  let configFile = '';
  let port = { http: 0, https: 0, stats: 0, appId: 0, web: 0, apiV1: 0, apiRoot: 0, echo: 0, evilBalance: 0, evilVhost: 0 };
  let task: Record<'web1' | 'web2' | 'web3' | 'echo' | 'apiV1' | 'apiRoot' | 'evil', Backend>;

  const cfg = (): string => readFileSync(configFile, 'utf8');
  const why = (): string => `haproxy output:\n${haproxy.output()}\nconfig:\n${existsSync(configFile) ? cfg() : '(none)'}`;
  const lbStatus = async (): Promise<LbStatus> => JSON.parse((await get({ port: program.httpPort, path: '/v1/lb' })).body) as LbStatus;
  const via = (hostHeader: string, path = '/', p = port.http) => get({ port: p, hostHeader, path });

  const appsDoc = (phase: 'before' | 'after'): Record<string, unknown> => {
    const at = (b: Backend): TaskAt => ({ host: b.host, port: b.port });
    const webTasks = phase === 'before' ? [at(task.web1), at(task.web2)] : [at(task.web1), at(task.web2), at(task.web3)];
    const apps = [
      app('/web', port.web, { HAPROXY_0_VHOST: 'web.test' }, webTasks),
      app('/api/root', port.apiRoot, { HAPROXY_0_VHOST: 'api.test' }, [at(task.apiRoot)]),
      phase === 'before' ? app('/api/v1', port.apiV1, { HAPROXY_0_VHOST: 'api.test', HAPROXY_0_PATH: '/v1', HAPROXY_0_BACKEND_WEIGHT: '5' }, [at(task.apiV1)]) : null,
      app('/echo', port.echo, { HAPROXY_0_MODE: 'tcp' }, [at(task.echo)]),
      app('/evil/balance', port.evilBalance, { HAPROXY_0_VHOST: 'evil.test', HAPROXY_0_BALANCE: 'roundrobin\n  use_backend evil' }, [at(task.evil)]),
      app('/evil/vhost', port.evilVhost, { HAPROXY_0_VHOST: 'ok.test,bad host{.test' }, [at(task.evil)]),
    ];
    return { apps: apps.filter((a) => a !== null) };
  };

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-lb-e2e-'));
    dirs.push(dir);
    const cert = selfSignedPem(dir);
    configFile = join(dir, 'haproxy.cfg');
    task = {
      web1: await startIdentityServer(ADDR.web1, 'web', '1'),
      web2: await startIdentityServer(ADDR.web2, 'web', '2'),
      web3: await startIdentityServer(ADDR.web3, 'web', '3'),
      echo: await startEchoServer(ADDR.echo, 'echo> '),
      apiV1: await startIdentityServer(ADDR.apiV1, 'api-v1', '1'),
      apiRoot: await startIdentityServer(ADDR.apiRoot, 'api-root', '1'),
      evil: await startIdentityServer(ADDR.evil, 'evil', '1'),
    };
    backends.push(...Object.values(task));
    const [http = 0, https = 0, stats = 0, appId = 0, web = 0, apiV1 = 0, apiRoot = 0, echo = 0, evilBalance = 0, evilVhost = 0] = await freePorts(10);
    port = { http, https, stats, appId, web, apiV1, apiRoot, echo, evilBalance, evilVhost };

    fake = await FakeMarathon.start();
    fake.setApps(appsDoc('before'));
    const configPath = writeConfig({
      marathon: [fake.url],
      httpon: true,
      httpport: 0,
      HTTPListener: '127.0.0.1',
      lb: {
        bindAddress: '127.0.0.1',
        httpPort: port.http,
        httpsPort: port.https,
        statsPort: port.stats,
        appIdPort: port.appId,
        sslCerts: [cert],
        statsSocket: join(dir, 'haproxy.sock'),
        configFile,
        resyncSeconds: 3600,
        eventMinIntervalMs: 20,
        eventMaxDelayMs: 100,
      },
    });
    dirs.push(dirname(configPath));
    program = await startProgram(configPath);
    await program.waitForLog((l) => l.msg === 'load balancer config written', 10_000);
    haproxy = await startHaproxy(configFile, { readyPort: port.http });
    haproxies.push(haproxy);
  });

  afterAll(async () => {
    await Promise.all(haproxies.map((h) => h.stop()));
    await program?.stop();
    await fake?.close();
    await Promise.all(backends.map((b) => b.close()));
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('leaves the apps with bad labels out of the config and names them, with the label, in GET /v1/lb', async () => {
    const text = cfg();
    // Every listener is on loopback: the shared frontends by lb.bindAddress, the apps' own by HAPROXY_0_BIND_ADDR.
    const binds = [...text.matchAll(/^\s*bind (\S+)/gm)].map((m) => m[1]);
    expect(binds.sort()).toEqual(
      [port.http, port.https, port.stats, port.appId, port.web, port.apiV1, port.apiRoot, port.echo].map((p) => `127.0.0.1:${p}`).sort(),
    );
    expect(text).not.toContain('evil');
    expect(text).not.toContain(ADDR.evil);
    expect(text).not.toContain('ok.test');
    const status = await lbStatus();
    expect(status.lastError).toBeNull();
    const about = (subject: string) => status.diagnostics.filter((d) => d.subject === subject).map((d) => `${d.code} ${d.message}`);
    expect(about('/evil/balance')).toEqual([expect.stringMatching(/^SWY_LB_LABEL_INVALID .*HAPROXY_0_BALANCE/)]);
    expect(about('/evil/vhost')).toEqual([expect.stringMatching(/^SWY_LB_LABEL_INVALID .*HAPROXY_0_VHOST/)]);
    for (const good of ['/web', '/api/v1', '/api/root', '/echo']) expect(about(good)).toEqual([]);
  });

  it('routes Host web.test to both web tasks in turn', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 6; i += 1) {
      const reply = await via('web.test', `/x${i}`);
      expect(reply.status, why()).toBe(200);
      expect(reply.body).toMatch(new RegExp(`^app=web task=[12] path=/x${i} host=web.test$`));
      seen.add(reply.body.split(' ')[1] ?? '');
    }
    expect([...seen].sort()).toEqual(['task=1', 'task=2']);
    expect(task.web1.hits()).toBeGreaterThanOrEqual(2);
    expect(task.web2.hits()).toBeGreaterThanOrEqual(2);
  });

  it('routes api.test by path: /v1… to the path app, every other path to the app without one', async () => {
    expect((await via('api.test', '/v1/users')).body).toBe('app=api-v1 task=1 path=/v1/users host=api.test');
    expect((await via('api.test', '/v1')).body).toBe('app=api-v1 task=1 path=/v1 host=api.test');
    expect((await via('api.test', '/v2/users')).body).toBe('app=api-root task=1 path=/v2/users host=api.test');
    expect((await via('api.test', '/')).body).toBe('app=api-root task=1 path=/ host=api.test');
  });

  it('answers 503 for a Host no app serves, including the bad apps\' vhosts, while their neighbours route', async () => {
    for (const host of ['nobody.test', 'evil.test', 'ok.test']) {
      const reply = await via(host, '/');
      expect(reply.status, `Host ${host}`).toBe(503);
    }
    expect(task.evil.hits()).toBe(0);
    expect((await via('web.test', '/still')).status).toBe(200);
  });

  it('routes on the app\'s own service port, on X-Marathon-App-Id at appIdPort, and by SNI on HTTPS', async () => {
    const own = await via('whatever.test', '/own', port.web);
    expect(own.body).toMatch(/^app=web task=[12] path=\/own host=whatever\.test$/);
    const byId = await get({ port: port.appId, path: '/id', headers: { 'x-marathon-app-id': '/api/root' } });
    expect(byId.body).toBe(`app=api-root task=1 path=/id host=127.0.0.1:${port.appId}`);
    const tls = await get({ port: port.https, hostHeader: 'web.test', path: '/tls', tlsServername: 'web.test' });
    expect(tls.body).toMatch(/^app=web task=[12] path=\/tls host=web\.test$/);
    const tlsPath = await get({ port: port.https, hostHeader: 'api.test', path: '/v1/tls', tlsServername: 'api.test' });
    expect(tlsPath.body).toBe('app=api-v1 task=1 path=/v1/tls host=api.test');
    expect((await get({ port: port.stats, path: '/_haproxy_health_check' })).status).toBe(200);
  });

  it('passes bytes through the tcp app\'s port both ways', async () => {
    const payload = 'ping \u00e9\u0000\u00ff end\n';
    const expected = `echo> ${payload}`;
    expect(await tcpExchange(port.echo, payload, Buffer.byteLength(expected))).toBe(expected);
  });

  it('rewrites the config on a Marathon event, and a reloaded HAProxy routes the new tasks', async () => {
    // The first fetch and the resync for the event stream's connection are both done with the old apps.
    await until('the event stream opens and both start-up fetches finish', 5_000, () => (fake.openStreams > 0 && fake.appsRequests >= 2 ? true : null), () => `streams ${fake.openStreams}, fetches ${fake.appsRequests}`);
    const writes = (await lbStatus()).writes;
    const fetches = fake.appsRequests;
    fake.setApps(appsDoc('after'));
    fake.sendEvent('status_update_event', { slaveId: 'agent-3', taskId: 'web.task3', taskStatus: 'TASK_RUNNING', appId: '/web', host: ADDR.web3, ports: [task.web3.port], version: '2024-01-02T10:00:00.000Z' });
    // The file is renamed into place a moment before the pipeline counts the write, so wait for the count.
    const status = await until('GET /v1/lb counts one more write', 5_000, async () => {
      const now = await lbStatus();
      return now.writes > writes ? now : null;
    }, () => `logs: ${JSON.stringify(program.logs.slice(-5))}`);
    expect(status.writes).toBe(writes + 1);
    expect(status.lastError).toBeNull();
    expect(fake.appsRequests).toBeGreaterThan(fetches);
    expect(cfg()).toContain(`${ADDR.web3}:${task.web3.port}`);
    expect(cfg()).not.toContain(ADDR.apiV1);

    haproxy = await haproxy.reload(configFile);
    haproxies.push(haproxy);
    const seen = new Set<string>();
    for (let i = 0; i < 9; i += 1) {
      const reply = await via('web.test', '/after');
      expect(reply.status, why()).toBe(200);
      seen.add(reply.body.split(' ')[1] ?? '');
    }
    expect([...seen].sort()).toEqual(['task=1', 'task=2', 'task=3']);
    const before = task.apiV1.hits();
    expect((await via('api.test', '/v1/users')).body).toBe('app=api-root task=1 path=/v1/users host=api.test');
    expect(task.apiV1.hits()).toBe(before);
    expect(await tcpExchange(port.echo, 'again', 'echo> again'.length)).toBe('echo> again');
  });
});
