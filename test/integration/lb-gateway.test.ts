// The built program with the load-balancer half on a watched Marathon file: the config is written and validated,
// an edit of the apps or of a template regenerates it, a bad template or bad JSON keeps the last good config,
// /v1/lb explains what is left out and why, and --dry prints the config.
import { readFileSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { mlbFixture } from '../helpers/lb-generate.js';
import { runProgram, startProgram, writeConfig, type Program } from '../helpers/program.js';
import { selfSignedPem } from '../helpers/tls.js';

const running: Program[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((p) => p.stop()));
});

interface Setup {
  configPath: string;
  dir: string;
  cfg: string;
  apps: string;
  templates: string;
}

function setup(): Setup {
  const configPath = writeConfig({}, {});
  const dir = dirname(configPath);
  const templates = join(dir, 'templates');
  mkdirSync(templates);
  const cert = selfSignedPem(dir);
  const apps = join(dir, 'apps.json');
  writeFileSync(apps, mlbFixture('synthetic/fake-marathon-apps.json'));
  writeFileSync(
    configPath,
    JSON.stringify({
      marathonFile: 'apps.json',
      httpon: true,
      httpport: 0,
      HTTPListener: '127.0.0.1',
      lb: { configFile: 'haproxy/haproxy.cfg', templatesDir: 'templates', sslCerts: [cert], statsSocket: join(dir, 'admin.sock'), healthCheck: true },
    }),
  );
  mkdirSync(join(dir, 'haproxy'));
  return { configPath, dir, cfg: join(dir, 'haproxy', 'haproxy.cfg'), apps, templates };
}

const written = (p: Program, n: number) => () => p.waitForLog((l) => l.msg === 'load balancer config written' && p.logs.filter((x) => x.msg === 'load balancer config written').length >= n, 10_000);

async function status(p: Program): Promise<Record<string, unknown>> {
  return (await (await fetch(`http://127.0.0.1:${p.httpPort}/v1/lb`)).json()) as Record<string, unknown>;
}

describe('the load-balancer half of the gateway', () => {
  it('follows the Marathon file and the templates folder, and keeps the last good config on bad input', async () => {
    const s = setup();
    const p = await startProgram(s.configPath);
    running.push(p);
    await written(p, 1)();
    expect(readFileSync(s.cfg, 'utf8')).toContain('backend web_frontend_10010');
    expect(await status(p)).toMatchObject({ writes: 1, failures: 0, lastError: null });

    // An app leaves: the file follows within a second or so.
    const doc = JSON.parse(readFileSync(s.apps, 'utf8')) as { apps: { id: string }[] };
    writeFileSync(s.apps, JSON.stringify({ apps: doc.apps.filter((a) => a.id !== '/api/v1') }));
    await written(p, 2)();
    expect(readFileSync(s.cfg, 'utf8')).not.toContain('api_v1_10020');

    // A template override in marathon-lb syntax regenerates the config.
    writeFileSync(join(s.templates, 'HAPROXY_BACKEND_HEAD'), '\nbackend {backend}\n  balance {balance}\n  mode {mode}\n  timeout server 45s\n');
    await written(p, 3)();
    expect(readFileSync(s.cfg, 'utf8')).toContain('  timeout server 45s\n');

    // A broken template and broken JSON: each is reported, and the config on disk stays as it was.
    const before = readFileSync(s.cfg, 'utf8');
    writeFileSync(join(s.templates, 'HAPROXY_BACKEND_HEAD'), '\nbackend {backend} {nonsense}\n');
    await p.waitForLog((l) => l.code === 'SWY_LB_TEMPLATE_INVALID' && String(l.msg).includes('nonsense'));
    writeFileSync(s.apps, '{"apps": [');
    await p.waitForLog((l) => l.code === 'SWY_UPSTREAM_MALFORMED');
    expect(readFileSync(s.cfg, 'utf8')).toBe(before);

    // A bad label: that app is left out and /v1/lb says why; its neighbours are still written.
    const bad = JSON.parse(mlbFixture('synthetic/fake-marathon-apps.json')) as { apps: { id: string; labels: Record<string, string> }[] };
    const web = bad.apps.find((a) => a.id === '/web/frontend');
    if (web) web.labels.HAPROXY_0_BALANCE = 'roundrobin\n  use_backend evil';
    writeFileSync(s.apps, JSON.stringify(bad));
    await p.waitForLog((l) => l.code === 'SWY_LB_LABEL_INVALID');
    await written(p, 4)();
    const text = readFileSync(s.cfg, 'utf8');
    expect(text).not.toContain('web_frontend_10010');
    expect(text).toContain('backend api_v1_10020');
    const st = await status(p);
    expect(st.diagnostics).toContainEqual(expect.objectContaining({ code: 'SWY_LB_LABEL_INVALID', subject: '/web/frontend', message: expect.stringMatching(/HAPROXY_0_BALANCE/) }));
  }, 30_000);

  it('recognises the same apps without a new state, and still puts right a config file changed behind its back', async () => {
    const s = setup();
    const p = await startProgram(s.configPath);
    running.push(p);
    await written(p, 1)();
    const good = readFileSync(s.cfg, 'utf8');
    writeFileSync(s.cfg, '# edited by hand\n');
    // The same apps again (the watcher sees a write): no new state, but the file is compared and rewritten.
    writeFileSync(s.apps, readFileSync(s.apps));
    await written(p, 2)();
    expect(readFileSync(s.cfg, 'utf8')).toBe(good);
    const metrics = await (await fetch(`http://127.0.0.1:${p.httpPort}/metrics`)).text();
    expect(metrics).toMatch(/^switchyard_polls_unchanged_total\{source="marathon"\} 1$/m);
  });

  it('answers /healthz, /readyz, /metrics and /v1/diagnostics', async () => {
    const s = setup();
    const p = await startProgram(s.configPath);
    running.push(p);
    await written(p, 1)();
    const fetchText = async (path: string): Promise<{ status: number; text: string }> => {
      const res = await fetch(`http://127.0.0.1:${p.httpPort}${path}`);
      return { status: res.status, text: await res.text() };
    };
    expect(await fetchText('/healthz')).toEqual({ status: 200, text: 'ok\n' });
    expect(await fetchText('/readyz')).toEqual({ status: 200, text: 'ready\n' });
    const metrics = (await fetchText('/metrics')).text;
    expect(metrics).toMatch(/^switchyard_polls_total\{source="marathon"\} [1-9]/m);
    expect(metrics).toMatch(/^switchyard_apps 6$/m);
    expect(metrics).toMatch(/^switchyard_lb_config_writes_total 1$/m);
    expect(metrics).not.toMatch(/switchyard_dns_/); // DNS is off: the config names no Mesos source
    // Apps that are left out show up with their reason, without reading logs.
    writeFileSync(join(s.dir, 'apps.json'), JSON.stringify({ apps: [{ id: '/bad', labels: { HAPROXY_GROUP: 'external', HAPROXY_0_MODE: 'udp' }, portDefinitions: [{ port: 10500 }], tasks: [] }] }));
    await p.waitForLog((l) => l.code === 'SWY_LB_LABEL_INVALID');
    const diagnostics = JSON.parse((await fetchText('/v1/diagnostics')).text) as { lb: { code: string; subject: string; message: string }[] };
    expect(diagnostics.lb).toContainEqual(expect.objectContaining({ code: 'SWY_LB_LABEL_INVALID', subject: '/bad', message: expect.stringMatching(/HAPROXY_0_MODE/) }));
    expect((await fetchText('/metrics')).text).toMatch(/^switchyard_skipped\{reason="SWY_LB_LABEL_INVALID"\} 1$/m);
    // A Marathon that stops answering: still serving, but after a failed poll /readyz says why (here: bad JSON).
    writeFileSync(join(s.dir, 'apps.json'), '{');
    await p.waitForLog((l) => l.code === 'SWY_UPSTREAM_MALFORMED');
    expect((await fetchText('/v1/diagnostics')).text).toContain('SWY_UPSTREAM_MALFORMED');
  });

  it('--dry prints the generated config and writes nothing', async () => {
    const s = setup();
    const result = await runProgram(['--config', s.configPath, '--dry']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^global\n/);
    expect(result.stdout).toContain('frontend marathon_http_in');
    expect(result.stdout).toContain('backend web_frontend_10010');
    expect(existsSync(s.cfg)).toBe(false);
  });
});
