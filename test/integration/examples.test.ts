// Every file in examples/: each config through the real loader and validator, the sample cluster's two documents
// agreeing with each other and staying on loopback, and sanity checks of the systemd unit, Dockerfile and Marathon app.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseArgs } from '../../cli/args.js';
import { configHalves, loadConfigFile } from '../../cli/config.js';
import { envOverrides } from '../../cli/config-layers.js';
import { viewOptions } from '../../cli/lb-runtime.js';
import { buildView } from '../../lb/view-model.js';
import { normalizeMarathon } from '../../state-poller/marathon-normalize.js';
import { repoRoot } from '../helpers/program.js';
import { NODE_FLAGS } from '../../cli/node-flags.js';

const examples = join(repoRoot, 'examples');
const read = (name: string): string => readFileSync(join(examples, name), 'utf8');
const json = (name: string): unknown => JSON.parse(read(name)) as unknown;
const configs = readdirSync(examples).filter((f) => f.endsWith('.json') && f !== 'marathon-app.json').sort();
const isLoopback = (ip: string): boolean => /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(ip);

interface MarathonTaskDoc { id: string; host: string; slaveId: string; ports: number[]; ipAddresses: { ipAddress: string }[] }
interface MarathonAppDoc { id: string; labels: Record<string, string>; tasks: MarathonTaskDoc[] }
interface MesosTaskDoc { id: string; name: string; slave_id: string; framework_id: string; resources: { ports: string } }
interface MesosStateDoc {
  slaves: { id: string; pid: string }[];
  frameworks: { id: string; name: string; tasks: MesosTaskDoc[] }[];
}

describe('examples/*.json configs load through the real validator', () => {
  it('finds the configs', () => {
    expect(configs).toEqual(['combined.json', 'marathon-lb.json', 'mesos-dns.json', 'switchyard.json']);
  });

  it.each(configs)('%s is valid, with no warnings', async (name) => {
    const { config, warnings } = await loadConfigFile(join(examples, name));
    expect(warnings).toEqual([]);
    const halves = configHalves(config);
    expect(halves).toEqual({
      'combined.json': { dns: true, lb: true },
      'marathon-lb.json': { dns: false, lb: true },
      'mesos-dns.json': { dns: true, lb: false },
      'switchyard.json': { dns: true, lb: true },
    }[name]);
  });

  it('marathon-lb.json reloads the system HAProxy; combined.json runs its own', async () => {
    const lb = (await loadConfigFile(join(examples, 'marathon-lb.json'))).config.lb;
    expect(lb.reloadCommand).toEqual(['systemctl', 'reload', 'haproxy']);
    expect(lb.haproxy.manage).toBe(false);
    expect(lb.groups).toEqual(['external']);
    const combined = (await loadConfigFile(join(examples, 'combined.json'))).config.lb;
    expect(combined.haproxy.manage).toBe(true);
    expect(combined.maxconn).toBe(50000);
  });
});

describe('the sample cluster that npm start serves', () => {
  const mesos = json('cluster/master-state.json') as MesosStateDoc;
  const marathon = json('cluster/marathon-apps.json') as { apps: MarathonAppDoc[] };

  it('switchyard.json listens only on loopback and keeps its files in run/', async () => {
    const { config } = await loadConfigFile(join(examples, 'switchyard.json'));
    expect([config.listener, config.HTTPListener, config.lb.bindAddress]).toEqual(['127.0.0.1', '127.0.0.1', '127.0.0.1']);
    expect([config.port, config.httpport, config.lb.httpPort, config.lb.httpsPort, config.lb.statsPort, config.lb.appIdPort]).toEqual([8053, 8123, 8080, 8443, 9090, 9091]);
    expect(config.externalon).toBe(false); // nothing is forwarded off the machine
    expect(config.lb.configFile).toBe('../run/haproxy.cfg');
    expect(readFileSync(join(repoRoot, '.gitignore'), 'utf8').split('\n')).toContain('run/');
    expect(config.lb.syslogSocket).toBeNull();
    // Relative to examples/, as every path of a config: switchyard hands HAProxy the absolute paths.
    for (const cert of config.lb.sslCerts) expect(existsSync(join(examples, cert))).toBe(true);
    expect(config.lb.statsSocket).toBe('../run/haproxy.sock');
  });

  it('every Marathon task is a Mesos task of the marathon framework, on the same agent and ports', () => {
    const framework = mesos.frameworks.find((f) => f.name === 'marathon');
    const byId = new Map((framework?.tasks ?? []).map((t) => [t.id, t]));
    const marathonTasks = marathon.apps.flatMap((app) => app.tasks.map((task) => ({ app, task })));
    expect(marathonTasks.map(({ task }) => task.id).sort()).toEqual([...byId.keys()].sort());
    for (const { app, task } of marathonTasks) {
      const mesosTask = byId.get(task.id);
      expect(mesosTask?.slave_id).toBe(task.slaveId);
      // Marathon names a task after its app id, path segments reversed: /shop/api → api.shop.
      expect(mesosTask?.name).toBe(app.id.split('/').filter(Boolean).reverse().join('.'));
      const [low, high] = (/^\[(\d+)-(\d+)\]$/.exec(mesosTask?.resources.ports ?? '') ?? []).slice(1).map(Number);
      expect(task.ports).toEqual(Array.from({ length: (high ?? 0) - (low ?? 0) + 1 }, (_, i) => (low ?? 0) + i));
      const agent = mesos.slaves.find((s) => s.id === task.slaveId);
      expect(agent?.pid).toBe(`slave(1)@${task.host}:5051`);
    }
  });

  it('every app port binds 127.0.0.1 and every task address is loopback', () => {
    for (const app of marathon.apps) {
      const ports = Object.keys(app.labels).filter((l) => /^HAPROXY_\d+_BIND_ADDR$/.test(l));
      expect(ports.length, app.id).toBeGreaterThan(0);
      for (const label of ports) expect(app.labels[label]).toBe('127.0.0.1');
      for (const task of app.tasks) {
        expect(isLoopback(task.host), task.host).toBe(true);
        for (const a of task.ipAddresses) expect(isLoopback(a.ipAddress), a.ipAddress).toBe(true);
      }
    }
  });

  it('gives the HAProxy view the README tour shows, with no diagnostics', async () => {
    const { config } = await loadConfigFile(join(examples, 'switchyard.json'));
    const normalized = normalizeMarathon(marathon);
    if (!normalized.ok) throw new Error(normalized.message);
    expect(normalized.diagnostics).toEqual([]);
    const view = buildView(normalized.state, viewOptions(config, join(repoRoot, 'run/haproxy.cfg'), examples), new Map());
    expect(view.diagnostics).toEqual([]);
    const backends = view.services.map((s) => [s.backend, s.mode, s.bindAddr, s.service.servers.map((v) => `${v.ip}:${v.port}`)]);
    expect(backends).toEqual([
      ['redis_10003', 'tcp', '127.0.0.1', ['127.0.1.2:31005']],
      ['shop_api_10001', 'http', '127.0.0.1', ['127.0.2.10:8080']],
      ['web_10000', 'http', '127.0.0.1', ['127.0.1.1:31001', '127.0.1.2:31002']],
    ]);
  });
});

describe('deployment examples', () => {
  it('switchyard.service runs the built CLI with a config, reloads with SIGHUP, and allows maxconn 50000', () => {
    const unit = read('switchyard.service');
    const directive = (name: string): string[] => [...unit.matchAll(new RegExp(`^${name}=(.*)$`, 'gm'))].map((m) => m[1] ?? '');
    expect(unit.startsWith('# ')).toBe(true);
    const [execStart = ''] = directive('ExecStart');
    expect(execStart).toMatch(new RegExp(`^/usr/bin/node ${NODE_FLAGS.join(' ')} /opt/switchyard/dist/cli/main\\.js --config \\S+$`));
    expect(parseArgs(execStart.split(' ').slice(2 + NODE_FLAGS.length))).toMatchObject({ command: 'run', configGiven: true, overrides: [] });
    expect(directive('ExecReload')).toEqual(['/bin/kill -HUP $MAINPID']);
    expect(Number(directive('LimitNOFILE')[0])).toBeGreaterThanOrEqual(2 * 50000);
    expect(directive('KillMode')).toEqual(['mixed']); // switchyard stops its HAProxy itself
    expect(directive('AmbientCapabilities')).toEqual(['CAP_NET_BIND_SERVICE']);
    for (const section of ['[Unit]', '[Service]', '[Install]']) expect(unit).toContain(section);
  });

  it('the Dockerfile builds on node:20-bookworm-slim with Debian HAProxy and runs the built CLI', () => {
    const dockerfile = read('Dockerfile');
    expect(dockerfile.startsWith('# ')).toBe(true);
    expect(dockerfile).toMatch(/^FROM node:20-bookworm-slim$/m);
    expect(dockerfile).toMatch(/apt-get install -y --no-install-recommends [^\n]*\bhaproxy\b/);
    expect(dockerfile).toMatch(/^RUN npm ci\b/m);
    expect(dockerfile).toMatch(/^RUN npm run build\b/m);
    const entrypoint = JSON.parse(/^ENTRYPOINT (.*)$/m.exec(dockerfile)?.[1] ?? '[]') as string[];
    expect(entrypoint.slice(-2 - NODE_FLAGS.length)).toEqual(['node', ...NODE_FLAGS, '/opt/switchyard/dist/cli/main.js']);
    // Everything it copies exists, and it copies every source folder the build compiles, plus the templates.
    const copied = [...dockerfile.matchAll(/^COPY (.+) \S+$/gm)].flatMap((m) => (m[1] ?? '').split(' '));
    for (const source of copied) expect(existsSync(join(repoRoot, source)), source).toBe(true);
    const build = JSON.parse(readFileSync(join(repoRoot, 'tsconfig.build.json'), 'utf8')) as { include: string[] };
    expect(copied).toEqual(expect.arrayContaining([...build.include, 'templates', 'package.json', 'package-lock.json', 'tsconfig.build.json']));
  });

  it('marathon-app.json runs the image on host networking with its args and env, health-checked on /healthz', async () => {
    const app = json('marathon-app.json') as {
      id: string;
      args: string[];
      env: Record<string, string>;
      networks: { mode: string }[];
      requirePorts: boolean;
      portDefinitions: { port: number; name: string }[];
      healthChecks: { protocol: string; path: string; portIndex: number }[];
    };
    expect(app.networks).toEqual([{ mode: 'host' }]);
    expect(app.requirePorts).toBe(true);
    const ports = app.portDefinitions.map((p) => p.port);
    expect(ports).toEqual(expect.arrayContaining([80, 443, 9090, 9091]));

    // The image's config (Dockerfile: examples/combined.json) with the app's env and args on top, as main does.
    const args = parseArgs(app.args);
    expect(args.config).toBe('/etc/switchyard/config.json');
    expect(read('Dockerfile')).toContain('COPY examples/combined.json /etc/switchyard/config.json');
    const env = envOverrides(app.env);
    expect(env.problems).toEqual([]);
    const { config, warnings } = await loadConfigFile(join(examples, 'combined.json'), [...env.overrides, ...args.overrides]);
    expect(warnings).toEqual([]);
    expect(config.lb.groups).toEqual(['external']);
    expect(config.lb.syslogSocket).toBeNull(); // no /dev/log in the container
    expect([config.lb.httpPort, config.lb.httpsPort, config.lb.statsPort, config.lb.appIdPort, config.port]).toEqual([80, 443, 9090, 9091, 53]);
    for (const port of [config.lb.httpPort, config.lb.httpsPort, config.lb.statsPort, config.lb.appIdPort, config.httpport, config.port]) expect(ports).toContain(port);

    const [check] = app.healthChecks;
    expect(check?.path).toBe('/healthz');
    expect(app.portDefinitions[check?.portIndex ?? -1]?.port).toBe(config.httpport);
  });

  it('examples/README.md describes every file', () => {
    const described = read('README.md');
    const files = readdirSync(examples, { recursive: true, encoding: 'utf8' }).filter((f) => /\.[a-z]+$|Dockerfile$/.test(f) && f !== 'README.md');
    for (const file of files) expect(described, file).toContain(`\`${file}\``);
  });
});
