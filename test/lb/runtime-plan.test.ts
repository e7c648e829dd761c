// Which changes HAProxy can take at run time (a task started, stopped, draining) and which need a reload, and the
// exact admin-socket commands for the first kind (lb/runtime-plan.ts).
import { beforeAll, describe, expect, it } from 'vitest';
import { renderServerLines } from '../../lb/render.js';
import { planRuntime } from '../../lb/runtime-plan.js';
import { loadTemplateSet } from '../../lb/template-files.js';
import type { TemplateSet } from '../../lb/templates.js';
import { buildView } from '../../lb/view-model.js';
import type { HaproxyView } from '../../lb/view-types.js';
import type { MarathonApp } from '../../state-poller/model.js';
import { appsOf, COMBINED, MLB_DEFAULTS } from '../helpers/lb-generate.js';

let templates: TemplateSet;
beforeAll(async () => {
  templates = (await loadTemplateSet(null)).set;
});

const base = appsOf(...COMBINED);
const view = (apps: readonly MarathonApp[]): HaproxyView => buildView({ apps, hosts: {} }, { ...MLB_DEFAULTS, groups: ['*'] }, new Map());
const plan = (a: readonly MarathonApp[], b: readonly MarathonApp[]) => planRuntime(view(a), view(b), (s) => renderServerLines(s, templates));
const edit = (id: string, change: (a: MarathonApp) => MarathonApp): MarathonApp[] => base.map((a) => (a.id === id ? change(a) : a));
const addTask = (a: MarathonApp): MarathonApp => ({ ...a, tasks: [...a.tasks, { ...a.tasks[0]!, id: `${a.id}.new`, host: '10.9.9.9' }] });

describe('planRuntime', () => {
  it('nothing to do for the same apps', () => {
    expect(plan(base, base)).toEqual({ kind: 'none' });
  });

  it('a task started: add server, enable its checks, put it in service', () => {
    expect(plan(base, edit('/api/v1', addTask))).toEqual({
      kind: 'servers',
      backends: ['api_v1_10020'],
      steps: [
        {
          backend: 'api_v1_10020',
          server: '10_9_9_9_31100',
          action: 'add',
          commands: [
            expect.stringMatching(/^add server api_v1_10020\/10_9_9_9_31100 10\.9\.9\.9:31100 id \d+ check inter 10s fall 4$/),
            'enable health api_v1_10020/10_9_9_9_31100',
            'set server api_v1_10020/10_9_9_9_31100 state ready',
          ],
        },
      ],
    });
  });

  it('a task stopped: out of rotation first, then deleted', () => {
    const result = plan(edit('/api/v1', addTask), base);
    expect(result).toEqual({
      kind: 'servers',
      backends: ['api_v1_10020'],
      steps: [{ backend: 'api_v1_10020', server: '10_9_9_9_31100', action: 'remove', commands: ['set server api_v1_10020/10_9_9_9_31100 state maint', 'del server api_v1_10020/10_9_9_9_31100'] }],
    });
  });

  it('a draining task (blue/green) only changes state', () => {
    const undrained = base.map((a) => (a.labels.HAPROXY_DEPLOYMENT_GROUP !== undefined ? { ...a, labels: { ...a.labels, HAPROXY_DEPLOYMENT_NEW_INSTANCES: '1', HAPROXY_DEPLOYMENT_TARGET_INSTANCES: '99' } } : a));
    const result = plan(base, undrained);
    expect(result.kind).toBe('servers');
    if (result.kind === 'servers') expect(result.steps.map((s) => [s.action, s.commands])).toEqual([['state', ['set server nginx_10000/10_0_6_25_31184 state ready']]]);
  });

  it.each<[string, MarathonApp[], RegExp]>([
    ['an app added', [...base, { ...base[0]!, id: '/brand/new', portDefinitions: [12345] }], /backends were added or removed/],
    ['a vhost changed', edit('/pywebserver', (a) => ({ ...a, labels: { ...a.labels, HAPROXY_0_VHOST: 'other.test' } })), /shared frontends|settings of pywebserver_10101/],
    ['a balance changed', edit('/api/v1', (a) => ({ ...a, labels: { ...a.labels, HAPROXY_0_BALANCE: 'leastconn' } })), /settings of api_v1_10020/],
    ['a sticky backend scaled', edit('/web/frontend', addTask), /web_frontend_10010 is sticky/],
  ])('structural: %s', (_name, next, why) => {
    const result = plan(base, next);
    expect(result.kind).toBe('structural');
    expect(result.kind === 'structural' ? result.why : '').toMatch(why);
  });

  it('a static balance algorithm cannot take servers at run time', () => {
    const source = edit('/api/v1', (a) => ({ ...a, labels: { ...a.labels, HAPROXY_0_BALANCE: 'source' } }));
    const scaled = source.map((a) => (a.id === '/api/v1' ? addTask(a) : a));
    const result = plan(source, scaled);
    expect(result).toEqual({ kind: 'structural', why: 'api_v1_10020 uses balance source, which cannot take servers at run time' });
  });
});
