// Incremental views: across random sequences of Marathon changes, the ViewCache (with normalizeMarathon keeping
// unchanged apps' objects) gives what a full buildView gives, rendered byte for byte; unchanged services keep their
// view objects, so planning and rendering skip them.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadTemplateSet } from '../../lb/template-files.js';
import { renderConfig } from '../../lb/render.js';
import { planRuntime } from '../../lb/runtime-plan.js';
import { renderServerLines } from '../../lb/render.js';
import { ViewCache } from '../../lb/view-cache.js';
import { buildView, serviceFingerprint, type ViewOptions } from '../../lb/view-model.js';
import type { HaproxyView } from '../../lb/view-types.js';
import { MarathonAppMemo, normalizeMarathon } from '../../state-poller/marathon-normalize.js';
import type { MarathonState } from '../../state-poller/model.js';
import { MLB_DEFAULTS } from '../helpers/lb-generate.js';

const { set: templates } = await loadTemplateSet(null);

/** Labels the changes pick from: routing, modes, overrides, groups, blue/green, and one bad value. */
const LABELS: readonly (readonly [string, string])[] = [
  ['HAPROXY_GROUP', 'external'],
  ['HAPROXY_GROUP', 'internal'],
  ['HAPROXY_0_VHOST', 'a.test'],
  ['HAPROXY_0_VHOST', 'b.test,c.test'],
  ['HAPROXY_1_VHOST', 'd.test'],
  ['HAPROXY_0_PATH', '/api'],
  ['HAPROXY_0_MODE', 'tcp'],
  ['HAPROXY_0_MODE', 'http'],
  ['HAPROXY_0_BALANCE', 'leastconn'],
  ['HAPROXY_0_BALANCE', 'bad value'],
  ['HAPROXY_0_STICKY', 'true'],
  ['HAPROXY_0_REDIRECT_TO_HTTPS', 'true'],
  ['HAPROXY_0_BACKEND_WEIGHT', '5'],
  ['HAPROXY_0_PORT', '10001'],
  ['HAPROXY_0_BIND_ADDR', '127.0.0.1'],
  ['HAPROXY_0_ENABLED', 'false'],
  ['HAPROXY_0_AUTH', 'realm1:alice:$5$salt$abcdefghijklmnop'],
  ['HAPROXY_0_SSL_CERT', '/etc/ssl/app.pem'],
  ['HAPROXY_0_BACKEND_HEALTHCHECK_PORT_INDEX', '1'],
  ['HAPROXY_0_BACKEND_SERVER_OPTIONS', '  server {serverName} {host_ipv4}:{port}{cookieOptions}{otherOptions} weight 7\n'],
  ['HAPROXY_0_FRONTEND_HEAD', '\nfrontend {backend}\n  bind {bindAddr}:{servicePort}\n  mode {mode}\n'],
  ['HAPROXY_DEPLOYMENT_GROUP', 'bluegreen'],
  ['HAPROXY_DEPLOYMENT_STARTED_AT', '2024-01-02T10:00:00.000Z'],
];
const HOSTS = ['10.0.0.1', '10.0.0.2', 'agent1.test', 'agent2.test'];
const STATES = ['TASK_RUNNING', 'TASK_RUNNING', 'TASK_STAGING', 'TASK_KILLING'];

interface TaskModel { id: string; host: string; port: number; state: string; alive: boolean | null }
interface AppModel { id: string; labels: Record<string, string>; ports: number[]; checks: boolean; tasks: TaskModel[] }
interface Model { apps: AppModel[]; hosts: Record<string, readonly string[]>; next: number }

type Change = { what: 'task' | 'untask' | 'state' | 'health' | 'label' | 'unlabel' | 'add' | 'remove' | 'hosts' | 'checks' | 'none'; app: number; pick: number; pick2: number };

const change: fc.Arbitrary<Change> = fc.record({
  what: fc.constantFrom('task', 'task', 'untask', 'state', 'health', 'label', 'unlabel', 'add', 'remove', 'hosts', 'checks', 'none'),
  app: fc.nat(),
  pick: fc.nat(),
  pick2: fc.nat(),
});

function newApp(model: Model, n: number): AppModel {
  model.next += 1;
  const ports = n % 3 === 0 ? [10000 + (n % 7), 11000 + (n % 5)] : [10000 + (n % 7)];
  return { id: `/app${n % 9}/x${model.next}`, labels: { HAPROXY_GROUP: 'external', HAPROXY_0_VHOST: `v${n % 4}.test` }, ports, checks: n % 4 === 1, tasks: [] };
}

function newTask(model: Model, app: AppModel, pick: number): TaskModel {
  model.next += 1;
  return { id: `${app.id.slice(1).replaceAll('/', '_')}.t${model.next}`, host: HOSTS[pick % HOSTS.length] ?? '10.0.0.1', port: 31000 + model.next, state: STATES[pick % STATES.length] ?? 'TASK_RUNNING', alive: pick % 3 === 0 ? null : pick % 3 === 1 };
}

function apply(model: Model, c: Change): void {
  const app = model.apps[c.app % Math.max(1, model.apps.length)];
  if (c.what === 'add' || app === undefined) {
    const fresh = newApp(model, c.pick);
    fresh.tasks.push(newTask(model, fresh, c.pick2));
    model.apps.push(fresh);
    return;
  }
  const task = app.tasks[c.pick % Math.max(1, app.tasks.length)];
  const [label, value] = LABELS[c.pick % LABELS.length] ?? ['HAPROXY_GROUP', 'external'];
  switch (c.what) {
    case 'task': app.tasks.push(newTask(model, app, c.pick2)); break;
    case 'untask': if (task !== undefined) app.tasks.splice(app.tasks.indexOf(task), 1); break;
    case 'state': if (task !== undefined) task.state = STATES[c.pick2 % STATES.length] ?? 'TASK_RUNNING'; break;
    case 'health': if (task !== undefined) task.alive = c.pick2 % 3 === 0 ? null : c.pick2 % 3 === 1; break;
    case 'label': app.labels[label] = value; break;
    case 'unlabel': delete app.labels[Object.keys(app.labels)[c.pick2 % Math.max(1, Object.keys(app.labels).length)] ?? '']; break;
    case 'remove': model.apps.splice(model.apps.indexOf(app), 1); break;
    case 'hosts': model.hosts = { 'agent1.test': c.pick2 % 2 === 0 ? ['10.1.1.1'] : ['10.1.1.9'], ...(c.pick2 % 3 === 0 ? {} : { 'agent2.test': ['10.1.1.2'] }) }; break;
    case 'checks': app.checks = !app.checks; break;
    case 'none': break;
  }
}

/** One memo, as the Marathon poller keeps one. */
const memo = new MarathonAppMemo();

/** The model as Marathon's JSON, through normalizeMarathon as the poller does (unchanged apps keep their objects). */
function stateOf(model: Model): MarathonState {
  const apps = model.apps.map((a) => ({
    id: a.id,
    instances: a.tasks.length,
    labels: a.labels,
    portDefinitions: a.ports.map((port) => ({ port })),
    healthChecks: a.checks ? [{ protocol: 'HTTP', portIndex: 0, path: '/health', intervalSeconds: 3, timeoutSeconds: 2, gracePeriodSeconds: 10, maxConsecutiveFailures: 3 }] : [],
    tasks: a.tasks.map((t) => ({ id: t.id, host: t.host, ports: a.ports.map((_, i) => t.port + i * 100), state: t.state, ...(t.alive === null ? {} : { healthCheckResults: [{ alive: t.alive }] }) })),
  }));
  const result = normalizeMarathon({ apps }, memo);
  if (!result.ok) throw new Error(result.message);
  return { ...result.state, hosts: model.hosts };
}

/** Everything a view decides, as data and as text. */
function outcome(view: HaproxyView): unknown {
  return {
    rendered: renderConfig(view, templates),
    fingerprints: view.services.map(serviceFingerprint),
    diagnostics: view.diagnostics,
    excluded: view.excluded,
    health: [...view.healthCache],
    groupedVhosts: view.groupedVhosts.map((g) => ({ ...g, rules: g.rules.map((r) => [r.weight, r.fragment, r.owner.backend]) })),
  };
}

const OPTIONS: Record<string, ViewOptions> = {
  'marathon-lb defaults': MLB_DEFAULTS,
  'every group, health checks, strict mode': { ...MLB_DEFAULTS, groups: ['*'], healthCheck: true, strictMode: true },
  'map files': { ...MLB_DEFAULTS, groups: ['*'], haproxyMap: true },
  'https grouped by vhost, health checks': { ...MLB_DEFAULTS, groups: ['*'], groupHttpsByVhost: true, healthCheck: true },
};

describe('ViewCache', () => {
  it.each(Object.keys(OPTIONS))('gives what buildView gives, over random changes (%s)', (name) => {
    const options = OPTIONS[name] ?? MLB_DEFAULTS;
    fc.assert(
      fc.property(fc.array(fc.nat(), { minLength: 1, maxLength: 8 }), fc.array(fc.array(change, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 8 }), fc.nat(), fc.array(fc.boolean()), (seeds, steps, excludePick, forget) => {
        const model: Model = { apps: [], hosts: { 'agent1.test': ['10.1.1.1'] }, next: 0 };
        for (const seed of seeds) {
          const app = newApp(model, seed);
          for (let i = 0; i <= seed % 3; i++) app.tasks.push(newTask(model, app, seed + i));
          model.apps.push(app);
        }
        const cache = new ViewCache(options);
        let health = new Map<string, boolean>() as ReadonlyMap<string, boolean>;
        let previous: HaproxyView | null = null;
        for (const [n, step] of [[], ...steps].entries()) {
          for (const c of step) apply(model, c);
          // A generation that was not settled starts from an older health cache (lb/pipeline.ts keeps the settled one).
          if (forget[n] === true) health = new Map();
          const state = stateOf(model);
          // Now and then HAProxy "rejected" a service of the last view: both builds leave it out while it is unchanged.
          const rejected = previous === null || excludePick % 3 !== 0 ? undefined : previous.services[excludePick % Math.max(1, previous.services.length)];
          const exclude = new Map(rejected === undefined ? [] : [[rejected.backend, { fingerprint: serviceFingerprint(rejected), reason: 'test' }]]);
          const incremental = cache.build(state, exclude, health);
          const full = buildView(state, { ...options, exclude }, health);
          expect(outcome(incremental)).toEqual(outcome(full));
          health = incremental.healthCache;
          previous = incremental;
        }
      }),
      { numRuns: 150 },
    );
  });

  it('gives the app-id route to the next service of an app when the first one stops binding', () => {
    // /b/x has two HTTP ports; /a/y takes the first one's port, so /b/x's second port routes /b/x by app id, until
    // /a/y goes away: then the first port does, though /b/x itself (and so each of its services) did not change.
    const model: Model = { apps: [], hosts: {}, next: 0 };
    const x: AppModel = { id: '/b/x', labels: { HAPROXY_GROUP: 'external', HAPROXY_0_VHOST: 'x0.test', HAPROXY_1_VHOST: 'x1.test' }, ports: [10000, 10001], checks: false, tasks: [] };
    const y: AppModel = { id: '/a/y', labels: { HAPROXY_GROUP: 'external', HAPROXY_0_VHOST: 'y.test' }, ports: [10000], checks: false, tasks: [] };
    for (const app of [x, y]) app.tasks.push(newTask(model, app, 0));
    model.apps.push(x, y);
    const cache = new ViewCache(MLB_DEFAULTS);
    const routes = (view: HaproxyView): string[] => view.services.filter((s) => s.appId.length > 0).map((s) => s.backend);
    const before = cache.build(stateOf(model), new Map(), new Map());
    expect(routes(before)).toEqual(['a_y_10000', 'b_x_10001']);
    model.apps.splice(model.apps.indexOf(y), 1);
    const after = cache.build(stateOf(model), new Map(), new Map());
    expect(routes(after)).toEqual(['b_x_10000']);
    expect(outcome(after)).toEqual(outcome(buildView(stateOf(model), MLB_DEFAULTS, new Map())));
  });

  it('keeps the view of every service that did not change, so plans and renders skip them', () => {
    const model: Model = { apps: [], hosts: {}, next: 0 };
    for (let i = 0; i < 50; i++) {
      const app: AppModel = { id: `/bench/a${i}`, labels: { HAPROXY_GROUP: 'external', HAPROXY_0_VHOST: `a${i}.test` }, ports: [10000 + i], checks: false, tasks: [] };
      for (let t = 0; t < 3; t++) app.tasks.push(newTask(model, app, 0));
      model.apps.push(app);
    }
    const cache = new ViewCache(MLB_DEFAULTS);
    const before = cache.build(stateOf(model), new Map(), new Map());
    const changed = model.apps[17] as AppModel;
    changed.tasks.push(newTask(model, changed, 0));
    const after = cache.build(stateOf(model), new Map(), before.healthCache);

    const reused = after.services.filter((s, i) => s === before.services[i]).map((s) => s.backend);
    expect(after.services.map((s) => s.backend).filter((b) => !reused.includes(b))).toEqual(['bench_a17_10017']);
    const plan = planRuntime(before, after, (s) => renderServerLines(s, templates));
    expect(plan.kind === 'servers' ? plan.backends : plan).toEqual(['bench_a17_10017']);
    expect(renderConfig(after, templates).config).toBe(renderConfig(buildView(stateOf(model), MLB_DEFAULTS, before.healthCache), templates).config);
  });

  it('renders a kept view again for another template set', async () => {
    const model: Model = { apps: [], hosts: {}, next: 0 };
    const app = newApp(model, 1);
    app.tasks.push(newTask(model, app, 1));
    model.apps.push(app);
    const view = new ViewCache(MLB_DEFAULTS).build(stateOf(model), new Map(), new Map());
    const other = new Map(templates);
    other.set('BACKEND_HEAD', (vars) => `\nbackend ${String(vars.backend)} # other templates\n`);
    expect(renderConfig(view, templates).config).not.toContain('# other templates');
    expect(renderConfig(view, other).config).toContain(`backend ${view.services[0]?.backend ?? '?'} # other templates`);
    expect(renderConfig(view, templates).config).not.toContain('# other templates');
    await Promise.resolve();
  });
});
