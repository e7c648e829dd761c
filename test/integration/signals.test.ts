// Signals to the built program running a managed HAProxy: SIGHUP re-reads the templates folder and regenerates,
// SIGTERM finishes, stops HAProxy and exits 0 with no HAProxy process of its own left.
import { readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePorts, startIdentityServer, type Backend } from '../helpers/backends.js';
import { get } from '../helpers/loopback-client.js';
import { startProgram, writeConfig, type Program } from '../helpers/program.js';
import { selfSignedPem } from '../helpers/tls.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Pids whose command line mentions `marker` (a unique temp path). */
function processesWith(marker: string): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        return readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(marker);
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe('signals', () => {
  it('SIGHUP re-reads templates; SIGTERM stops the managed HAProxy and exits 0', async () => {
    const task: Backend = await startIdentityServer('127.0.30.1', 'web', 't1');
    cleanups.push(() => task.close());
    const [httpPort = 0, httpsPort = 0, statsPort = 0, appIdPort = 0, servicePort = 0] = await freePorts(5);
    const configPath = writeConfig({});
    const dir = dirname(configPath);
    mkdirSync(join(dir, 'templates'));
    writeFileSync(
      join(dir, 'apps.json'),
      JSON.stringify({ apps: [{ id: '/web', labels: { HAPROXY_GROUP: 'external', HAPROXY_0_VHOST: 'web.test', HAPROXY_0_BIND_ADDR: '127.0.0.1' }, portDefinitions: [{ port: servicePort }], tasks: [{ id: 'web.1', host: task.host, ports: [task.port], state: 'TASK_RUNNING' }] }] }),
    );
    writeFileSync(
      configPath,
      JSON.stringify({
        marathonFile: 'apps.json',
        httpon: true,
        httpport: 0,
        HTTPListener: '127.0.0.1',
        lb: {
          configFile: 'haproxy.cfg',
          templatesDir: 'templates',
          statsSocket: join(dir, 'admin.sock'),
          bindAddress: '127.0.0.1',
          httpPort,
          httpsPort,
          statsPort,
          appIdPort,
          sslCerts: [selfSignedPem(dir)],
          maxconn: 2000,
          syslogSocket: null,
          minReloadIntervalMs: 0,
          haproxy: { manage: true, hardStopAfterSeconds: 2 },
        },
      }),
    );
    const p: Program = await startProgram(configPath);
    cleanups.push(() => p.stop());
    await p.waitForLog((l) => l.msg === 'load balancer config written');
    expect((await get({ port: httpPort, hostHeader: 'web.test' })).body).toMatch(/task=t1/);
    expect(processesWith(join(dir, 'haproxy.cfg')).length).toBeGreaterThanOrEqual(2); // master and worker

    // A template dropped in without the watcher noticing (it is watched too) is picked up by SIGHUP at the latest.
    writeFileSync(join(dir, 'templates', 'HAPROXY_BACKEND_HEAD'), '\nbackend {backend}\n  balance {balance}\n  mode {mode}\n  timeout server 42s\n');
    p.child.kill('SIGHUP');
    await p.waitForLog((l) => l.msg === 'load balancer config written' && p.logs.filter((x) => x.msg === 'load balancer config written').length >= 2);
    expect(readFileSync(join(dir, 'haproxy.cfg'), 'utf8')).toContain('timeout server 42s');
    expect((await get({ port: httpPort, hostHeader: 'web.test' })).status).toBe(200);

    expect(await p.stop()).toBe(0);
    expect(processesWith(join(dir, 'haproxy.cfg'))).toEqual([]);
  }, 30_000);
});
