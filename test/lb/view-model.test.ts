// Routing decisions of buildView, case by case: rejected apps and ports (each with a diagnostic naming the app, the
// label and the reason) never take their neighbours down; groups, strict mode, health, determinism.
import { describe, expect, it } from 'vitest';
import { buildView } from '../../lb/view-model.js';
import type { MarathonApp } from '../../state-poller/model.js';
import { normalizeMarathon } from '../../state-poller/marathon-normalize.js';
import { appsOf, COMBINED, generate, MLB_DEFAULTS } from '../helpers/lb-generate.js';

const FEATURES = 'synthetic/switchyard-label-features.json';

function app(id: string, labels: Record<string, string>, extra: Record<string, unknown> = {}): MarathonApp {
  const result = normalizeMarathon({
    apps: [{ id, labels, portDefinitions: [{ port: 12000 }], tasks: [{ id: `${id.slice(1)}.1`, host: '10.9.0.1', ports: [31000], state: 'TASK_RUNNING' }], ...extra }],
  });
  if (!result.ok || result.state.apps[0] === undefined) throw new Error('bad test app');
  return result.state.apps[0];
}

const backends = (apps: MarathonApp[], options = {}): string[] =>
  buildView({ apps, hosts: {} }, { ...MLB_DEFAULTS, groups: ['*'], ...options }, new Map()).services.map((s) => s.backend);

describe('apps and ports left out, with a diagnostic', () => {
  const view = buildView({ apps: appsOf(FEATURES), hosts: {} }, { ...MLB_DEFAULTS, groups: ['*'] }, new Map());
  const byApp = (id: string) => view.diagnostics.filter((d) => d.subject === id);

  it.each([
    ['/bad/label', 'SWY_LB_LABEL_INVALID', /HAPROXY_0_VHOST: value contains a line break; service port index 0 is left out/],
    ['/bad/template', 'SWY_LB_TEMPLATE_INVALID', /HAPROXY_0_BACKEND_HEAD: unknown placeholder "nonsense"/],
    ['/port/taken', 'SWY_LB_PORT_CONFLICT', /port 11000 is already bound by \/auth\/single \(service port 11000\)/],
    ['/unresolved/host', 'SWY_UPSTREAM_UNRESOLVED_HOST', /host "agent7.example.test" has no IPv4 address/],
  ])('%s: %s', (id, code, message) => {
    const found = byApp(id);
    expect(found.map((d) => d.code)).toEqual([code]);
    expect(found[0]?.message).toMatch(message);
    expect(view.services.some((s) => s.service.appId === id)).toBe(false);
  });

  it('keeps every other app', () => {
    expect(view.services.map((s) => s.backend)).toEqual([
      'auth_multi_11001',
      'auth_single_11000',
      'checks_borrowed_11005',
      'checks_borrowed_11006',
      'ipv6_bind_11014',
      'override_app_11008',
      'rewrite_app_11003',
      'tcp_sticky_11004',
      'tls_app_11002',
      'weighted_high_11013',
      'weighted_low_11012',
    ]);
  });

  it('an app-level label that is bad rejects the whole app; a per-port one only its port', () => {
    const two = { portDefinitions: [{ port: 12000 }, { port: 12001 }], tasks: [{ id: 'x.1', host: '10.9.0.1', ports: [31000, 31001] }] };
    expect(backends([app('/x', { HAPROXY_GROUP: 'a b' }, two)])).toEqual([]);
    expect(backends([app('/x', { HAPROXY_1_BALANCE: 'roundrobin; evil' }, two)])).toEqual(['x_12000']);
  });

  it('warns about unknown labels and global templates set per app, and ignores them', () => {
    const v = buildView({ apps: [app('/x', { HAPROXY_0_VHOSTS: 'typo', HAPROXY_0_MAP_HTTP_FRONTEND_ACL: 'x' })], hosts: {} }, { ...MLB_DEFAULTS, groups: ['*'] }, new Map());
    expect(v.services.map((s) => s.backend)).toEqual(['x_12000']);
    expect(v.diagnostics.map((d) => [d.code, d.message.split(':')[0]])).toEqual([
      ['SWY_LB_LABEL_IGNORED', 'HAPROXY_0_VHOSTS is not a marathon-lb label; ignored'],
      ['SWY_LB_LABEL_IGNORED', 'HAPROXY_0_MAP_HTTP_FRONTEND_ACL'],
    ]);
  });

  it('two ports of one app, or a port of a shared frontend, cannot bind the same port', () => {
    expect(backends([app('/a', {}), app('/b', {})])).toEqual(['a_12000']);
    expect(backends([app('/a', { HAPROXY_0_PORT: '9090' })])).toEqual([]);
    expect(backends([app('/a', { HAPROXY_0_BIND_ADDR: '127.0.0.1' }), app('/b', { HAPROXY_0_BIND_ADDR: '127.0.0.2' })])).toEqual(['a_12000', 'b_12000']);
  });
});

describe('which services this load balancer serves', () => {
  it.each([
    [['external'], { HAPROXY_GROUP: 'external' }, true],
    [['external'], { HAPROXY_GROUP: 'internal,external' }, true],
    [['external'], { HAPROXY_GROUP: 'internal' }, false],
    [['external'], {}, false],
    [['*'], {}, true],
    [['external'], { HAPROXY_GROUP: 'internal', HAPROXY_0_GROUP: 'external' }, true],
    [['external'], { HAPROXY_GROUP: 'external', HAPROXY_0_GROUP: 'internal' }, false],
  ])('groups %j, labels %j → %s', (groups, labels, served) => {
    expect(backends([app('/a', labels)], { groups })).toEqual(served ? ['a_12000'] : []);
  });

  it.each([
    [false, {}, true],
    [false, { HAPROXY_0_ENABLED: 'false' }, false],
    [true, {}, false],
    [true, { HAPROXY_0_ENABLED: 'yes' }, true],
  ])('strict mode %s, labels %j → %s', (strictMode, labels, served) => {
    expect(backends([app('/a', labels)], { strictMode })).toEqual(served ? ['a_12000'] : []);
  });

  it('resolves task host names through the table the poller filled', () => {
    const named = app('/a', {}, { tasks: [{ id: 'a.1', host: 'agent1.example.test', ports: [31000] }] });
    const v = buildView({ apps: [named], hosts: { 'agent1.example.test': ['10.9.9.9'] } }, { ...MLB_DEFAULTS, groups: ['*'] }, new Map());
    expect(v.services[0]?.service.servers.map((s) => `${s.host} ${s.ip}:${s.port}`)).toEqual(['agent1.example.test 10.9.9.9:31000']);
  });
});

describe('health (lb.healthCheck)', () => {
  it('leaves out tasks that are not alive, have empty results or are staging; keeps the cached verdict when results are absent', () => {
    const apps = appsOf(...COMBINED);
    const first = buildView({ apps, hosts: {} }, { ...MLB_DEFAULTS, healthCheck: true }, new Map());
    const web = first.services.find((s) => s.backend === 'web_frontend_10010');
    expect(web?.service.servers.map((s) => s.taskId)).toEqual(['web_frontend.aaaa0001', 'web_frontend.aaaa0002']);
    // Marathon omits results for a moment: the last verdict stands, so alive tasks stay and dead ones stay out.
    const blank = apps.map((a) => ({ ...a, tasks: a.tasks.map((t) => ({ ...t, healthAlive: null })) }));
    const second = buildView({ apps: blank, hosts: {} }, { ...MLB_DEFAULTS, healthCheck: true }, first.healthCache);
    expect(second.services.find((s) => s.backend === 'web_frontend_10010')?.service.servers.map((s) => s.taskId)).toEqual(web?.service.servers.map((s) => s.taskId));
    const fresh = buildView({ apps: blank, hosts: {} }, { ...MLB_DEFAULTS, healthCheck: true }, new Map());
    expect(fresh.services.find((s) => s.backend === 'web_frontend_10010')).toBeUndefined();
  });
});

describe('determinism', () => {
  it('the same apps in any order give byte-identical files', async () => {
    const apps = appsOf(...COMBINED, FEATURES);
    const a = await generate(apps, { groups: ['*'], haproxyMap: true });
    const b = await generate([...apps].reverse(), { groups: ['*'], haproxyMap: true });
    expect(b.config).toBe(a.config);
    expect(b.domainMap).toBe(a.domainMap);
    expect(a.config.length).toBeGreaterThan(5000);
  });
});
