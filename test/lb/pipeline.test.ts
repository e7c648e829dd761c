// The pipeline against the real file system and the real `haproxy -c`: compare, validate, atomic install, reload
// command, one run at a time. A rejected config leaves the old file in place with HAProxy's own message kept.
import { mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { beforeEach, describe, expect, it } from 'vitest';
import { LbPipeline, type PipelineOptions } from '../../lb/pipeline.js';
import { CommandReloader } from '../../lb/reloaders.js';
import { loadTemplateSet } from '../../lb/template-files.js';
import type { MarathonApp, MarathonState } from '../../state-poller/model.js';
import { appsOf, COMBINED, MLB_DEFAULTS } from '../helpers/lb-generate.js';
import { selfSignedPem } from '../helpers/tls.js';
import { DiagnosticLog } from '../../state-poller/diagnostic-log.js';
import { runInSlices } from '../../state-poller/slices.js';
import { normalizeMarathon } from '../../state-poller/marathon-normalize.js';
import type { SliceRunner } from '../../lb/steps.js';
import { marathonAppsDoc } from '../bench/scale-cluster.js';

const logger = pino({ level: 'silent' });
const diagnosticLog = new DiagnosticLog(logger);
let dir = '';
let configFile = '';
let options: PipelineOptions;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'swy-pipeline-'));
  configFile = join(dir, 'haproxy.cfg');
  const cert = selfSignedPem(dir);
  options = {
    view: { ...MLB_DEFAULTS, sslCerts: [cert], haproxyDir: dir, statsSocket: join(dir, 'admin.sock'), serverStateFile: join(dir, 'state') },
    configFile,
    haproxyBinary: 'haproxy',
    skipValidation: false,
    reloader: null,
    runtime: null,
    minReloadIntervalMs: 0,
    removalDeadlineMs: 60_000,
    logger,
    reportDiagnostics: (diagnostics) => diagnosticLog.report(diagnostics),
    run: runInSlices,
  };
});

const state = (apps: readonly MarathonApp[]): MarathonState => ({ apps, hosts: {} });
const combined = appsOf(...COMBINED);

/** The combined apps with one more task on /pywebserver: a change of servers only. */
function scaled(): MarathonApp[] {
  return combined.map((a) => (a.id === '/pywebserver' ? { ...a, tasks: [...a.tasks, { ...a.tasks[0]!, id: 'pywebserver.extra', host: '10.0.2.149' }] } : a));
}

async function pipeline(extra: Partial<PipelineOptions> = {}, templatesDir: string | null = null): Promise<LbPipeline> {
  const { set } = await loadTemplateSet(templatesDir);
  return new LbPipeline({ ...options, ...extra }, set);
}

describe('LbPipeline', () => {
  it('builds the view and renders the config through its slice runner, pausing between steps', async () => {
    const normalized = normalizeMarathon(marathonAppsDoc({ apps: 200, tasksPerApp: 2, agents: 4 }));
    if (!normalized.ok) throw new Error(normalized.message);
    let runs = 0;
    let pauses = 0;
    const counting: SliceRunner = (steps, sliceMs) => {
      runs++;
      return runInSlices(
        (function* () {
          for (let step = steps.next(); ; step = steps.next()) {
            if (step.done === true) return step.value;
            pauses++;
            yield;
          }
        })(),
        sliceMs,
      );
    };
    const p = await pipeline({ run: counting });
    expect((await p.update(normalized.state, 'first')).kind).toBe('written');
    // The view, then the config: each in steps (200 apps pause at least every 32 apps and services).
    expect(runs).toBe(2);
    expect(pauses).toBeGreaterThanOrEqual(3 * Math.floor(200 / 32));
    expect(readFileSync(configFile, 'utf8')).toContain('backend app-199_');
  });

  it('writes a validated config, skips an unchanged one, and names what changed', async () => {
    const p = await pipeline();
    expect((await p.update(state(combined), 'first')).kind).toBe('written');
    const mtime = statSync(configFile).mtimeMs;
    expect(readFileSync(configFile, 'utf8')).toContain('backend pywebserver_10101');
    expect(await p.update(state(combined), 'again')).toEqual({ kind: 'unchanged' });
    expect(statSync(configFile).mtimeMs).toBe(mtime);
    const outcome = await p.update(state(scaled()), 'task started');
    expect(outcome).toMatchObject({ kind: 'written', change: { added: [], removed: [], servers: ['pywebserver_10101'], other: [] } });
    expect(p.status()).toMatchObject({ writes: 2, failures: 0, lastError: null, lastChange: { reasons: ['task started'], change: 'servers changed in pywebserver_10101' } });
    // No temporary file is left beside the config.
    expect(readdirSync(dir).filter((f) => f.startsWith('.'))).toEqual([]);
  });

  it('keeps the old file when haproxy -c rejects the new one, and keeps HAProxy\'s message', async () => {
    const good = await pipeline();
    await good.update(state(combined), 'first');
    const before = readFileSync(configFile, 'utf8');
    const templates = mkdtempSync(join(tmpdir(), 'swy-templates-'));
    // A global override in marathon-lb syntax with a directive HAProxy 2.6 no longer knows.
    writeFileSync(join(templates, 'HAPROXY_BACKEND_HTTP_OPTIONS'), '  option forwardfor\n  reqadd X-Test:\\ 1\n');
    const bad = await pipeline({}, templates);
    const outcome = await bad.update(state(scaled()), 'task started');
    expect(outcome).toMatchObject({ kind: 'failed', code: 'SWY_HAPROXY_CONFIG_INVALID' });
    expect(outcome.kind === 'failed' ? outcome.message : '').toMatch(/reqadd/);
    expect(readFileSync(configFile, 'utf8')).toBe(before);
    expect(bad.status().lastError?.output).toMatch(/ALERT/);
    expect(readdirSync(dir).filter((f) => f.startsWith('.'))).toEqual([]);
  });

  it('leaves out just the app whose lines HAProxy rejects, without a haproxy -c pass per app, and retries it once it changes', async () => {
    const calls = join(dir, 'haproxy-calls');
    const wrapper = join(dir, 'haproxy-wrapper.sh');
    writeFileSync(wrapper, `#!/bin/sh\necho "$@" >> ${calls}\nexec haproxy "$@"\n`, { mode: 0o755 });
    const p = await pipeline({ haproxyBinary: wrapper });
    // The label is a well-formed path, so only HAProxy can tell that the certificate does not exist.
    const withCert = (path: string | null) =>
      combined.map((a) => (a.id === '/pywebserver' ? { ...a, labels: path === null ? { ...a.labels } : { ...a.labels, HAPROXY_0_SSL_CERT: path } } : a));
    const missing = join(dir, 'no-such-cert.pem');
    expect((await p.update(state(withCert(missing)), 'bad cert')).kind).toBe('written');
    const text = readFileSync(configFile, 'utf8');
    expect(text).not.toContain('pywebserver_10101');
    expect(text).toContain('backend web_frontend_10010');
    expect(p.status().diagnostics).toContainEqual(expect.objectContaining({ code: 'SWY_HAPROXY_CONFIG_INVALID', subject: '/pywebserver', message: expect.stringMatching(/no-such-cert\.pem/) }));
    const checks = () => readFileSync(calls, 'utf8').trim().split('\n').length;
    expect(checks()).toBe(2); // the rejected candidate, then the one without the app
    // Another change elsewhere: the bad app stays out without another failed pass.
    expect((await p.update(state(withCert(missing).map((a) => (a.id === '/web/frontend' ? { ...a, tasks: a.tasks.slice(1) } : a))), 'scale')).kind).toBe('written');
    expect(checks()).toBe(3);
    // Fixed: the app is back.
    expect((await p.update(state(withCert(null)), 'fixed')).kind).toBe('written');
    expect(readFileSync(configFile, 'utf8')).toContain('backend pywebserver_10101');
    expect(p.status().diagnostics).toEqual([]);
  });

  it('writes and validates the map files with lb.haproxyMap', async () => {
    const p = await pipeline({ view: { ...options.view, haproxyMap: true } });
    expect((await p.update(state(combined), 'first')).kind).toBe('written');
    expect(readFileSync(join(dir, 'domain2backend.map'), 'utf8')).toContain('myvhost.com pywebserver_10101\n');
    expect(readFileSync(join(dir, 'app2backend.map'), 'utf8')).toContain('/pywebserver pywebserver_10101\n');
    expect(readFileSync(configFile, 'utf8')).toContain(`map(${dir}/domain2backend.map)`);
  });

  it('runs the reload command after a write, and reports its failure with its output', async () => {
    const log = join(dir, 'reloads');
    const p = await pipeline({ reloader: new CommandReloader(['sh', '-c', `echo reloaded >> ${log}`], 5000) });
    expect(await p.update(state(combined), 'first')).toMatchObject({ kind: 'written', reloaded: true });
    expect(await p.update(state(combined), 'same')).toEqual({ kind: 'unchanged' });
    expect(readFileSync(log, 'utf8')).toBe('reloaded\n');
    const failing = await pipeline({ reloader: new CommandReloader(['sh', '-c', 'echo no such service >&2; exit 3'], 5000) });
    const outcome = await failing.update(state(scaled()), 'task started');
    expect(outcome).toMatchObject({ kind: 'failed', code: 'SWY_LB_RELOAD_FAILED' });
    expect(outcome.kind === 'failed' ? outcome.message : '').toMatch(/exit 3.*no such service/);
  });

  it('runs one generation at a time: a burst during a run is served by one follow-up with the latest state', async () => {
    const p = await pipeline();
    const first = p.update(state(combined), 'a');
    await new Promise((resolve) => setImmediate(resolve)); // the first run is now reading files
    expect(p.status().runs).toBe(1);
    const burst = [1, 2, 3, 4].map((n) => p.update(state(n === 4 ? scaled() : combined), `event ${n}`));
    await Promise.all([first, ...burst]);
    expect(p.status().runs).toBe(2);
    expect(readFileSync(configFile, 'utf8')).toContain('10.0.2.149:1565');
    expect(p.status().lastChange?.reasons).toEqual(['event 1', 'event 2', 'event 3', 'event 4']);
  });

  it('reports a config folder that cannot be written, and recovers', async () => {
    const p = await pipeline({ configFile: join(dir, 'missing', 'haproxy.cfg') });
    expect(await p.update(state(combined), 'first')).toMatchObject({ kind: 'failed', code: 'SWY_LB_WRITE_FAILED' });
    expect(existsSync(join(dir, 'missing'))).toBe(false);
    mkdirSync(join(dir, 'missing'));
    expect(await p.update(state(combined), 'retry')).toMatchObject({ kind: 'written' });
    expect(p.status().lastError).toBeNull();
  });
});
