// Marathon input: the /v2/apps?embed=apps.tasks schema over every recorded document, bad apps skipped alone,
// and the source against a fake Marathon on loopback.
import { hash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { closeHttpServer, listen } from '../../dns/listen.js';
import { KnownBody } from '../../state-poller/body.js';
import { parseJsonSteps } from '../../state-poller/json-slices.js';
import { MarathonAppMemo, normalizeMarathon, PreparedApp, prepareMarathonApps } from '../../state-poller/marathon-normalize.js';
import { MarathonSource } from '../../state-poller/marathon-source.js';
import { runToEnd } from '../../state-poller/slices.js';

const fixture = (path: string): unknown => JSON.parse(readFileSync(new URL(`../fixtures/marathon-lb/${path}`, import.meta.url), 'utf8'));

describe('normalizeMarathon over the recorded documents', () => {
  it.each([
    ['synthetic/fake-marathon-apps.json', 6],
    ['synthetic/fake-marathon-apps-legacy-directives.json', 2],
    ['upstream/tests/marathon15_apps.json', 1],
    ['upstream/tests/zdd_apps.json', 2],
    ['upstream/tests/zdd_app_blue.json', 1],
  ] as const)('%s: every app is read, none rejected', (path, count) => {
    const result = normalizeMarathon(fixture(path));
    if (!result.ok) throw new Error(result.message);
    expect(result.diagnostics).toEqual([]);
    expect(result.state.apps).toHaveLength(count);
  });

  it('reads the fields marathon-lb uses (Marathon 1.5 bridge app)', () => {
    const result = normalizeMarathon(fixture('upstream/tests/marathon15_apps.json'));
    if (!result.ok) throw new Error(result.message);
    const app = result.state.apps[0];
    expect(app?.id).toBe('/pywebserver');
    expect(app?.networkModes).toEqual(['container/bridge']);
    expect(app?.containerPortMappings.map((m) => m.servicePort)).toEqual([10101]);
    expect(app?.labels.HAPROXY_0_VHOST).toBe('myvhost.com');
    expect(app?.tasks.map((t) => [t.host, t.ports, t.ipAddresses, t.state])).toEqual([['10.0.2.148', [1565], ['172.17.0.2'], 'TASK_RUNNING']]);
  });

  it('tells an absent healthCheckResults from an empty one (marathon-lb caches the first, treats the second as down)', () => {
    const result = normalizeMarathon({
      apps: [{ id: '/a', labels: {}, tasks: [{ id: 'a.1', host: '127.0.0.1' }, { id: 'a.2', host: '127.0.0.1', healthCheckResults: [] }, { id: 'a.3', host: '127.0.0.1', healthCheckResults: [{ alive: true }] }] }],
    });
    if (!result.ok) throw new Error(result.message);
    expect(result.state.apps[0]?.tasks.map((t) => t.healthAlive)).toEqual([null, [], [true]]);
  });

  it('with a memo, gives back the same object for an app whose JSON did not change (with its diagnostics), and the same output', () => {
    const memo = new MarathonAppMemo();
    const web = { id: '/web', labels: {}, tasks: [{ id: 'web.1', host: '127.0.0.1', ports: [31000] }, { id: 'broken' }] };
    const api = { id: '/api', labels: {}, tasks: [{ id: 'api.1', host: '127.0.0.1', ports: [31001] }] };
    const first = normalizeMarathon({ apps: [web, api] }, memo);
    const second = normalizeMarathon({ apps: [{ ...web }, { ...api, instances: 2 }] }, memo);
    const fresh = normalizeMarathon({ apps: [{ ...web }, { ...api, instances: 2 }] });
    if (!first.ok || !second.ok || !fresh.ok) throw new Error('not normalized');
    const byId = (r: ReturnType<typeof normalizeMarathon>, id: string) => (r.ok ? r.state.apps.find((a) => a.id === id) : undefined);
    expect(byId(second, '/web')).toBe(byId(first, '/web'));
    expect(byId(second, '/api')).not.toBe(byId(first, '/api'));
    expect(second).toEqual(fresh);
    expect(second.diagnostics.map((d) => d.subject)).toEqual(['/web/tasks[1]']);
    // Without a memo nothing is shared between calls.
    expect(byId(normalizeMarathon({ apps: [web] }), '/web')).not.toBe(byId(normalizeMarathon({ apps: [web] }), '/web'));
  });

  it('prepared as it is parsed, finds unchanged apps by their text: the same objects and the same output as without', () => {
    const apps = Array.from({ length: 40 }, (_, i) => ({ id: `/app-${i}`, labels: { HAPROXY_GROUP: 'external' }, tasks: [{ id: `app-${i}.1`, host: '127.0.0.1', ports: [31000 + i] }] }));
    const memo = new MarathonAppMemo();
    /** The document as text, parsed as a poller parses a large body (pieces small enough to walk the apps). */
    const parse = (doc: unknown): unknown => {
      const text = Buffer.from(JSON.stringify(doc), 'utf8');
      return runToEnd(parseJsonSteps(text, 256, prepareMarathonApps(text, memo)));
    };
    const one = parse({ apps });
    // Every app was prepared, keyed by the SHA-1 of its text (compact here, so JSON.stringify gives it too).
    const prepared = (one as { apps: unknown[] }).apps;
    expect(prepared).toHaveLength(apps.length);
    prepared.forEach((item, i) => {
      expect(item).toBeInstanceOf(PreparedApp);
      expect((item as PreparedApp).key).toBe(hash('sha1', JSON.stringify(apps[i]), 'base64'));
    });
    const first = normalizeMarathon(one, memo);
    expect(first).toEqual(normalizeMarathon({ apps }));
    const changed = apps.map((a, i) => (i === 7 ? { ...a, labels: { HAPROXY_GROUP: 'internal' } } : a));
    const second = normalizeMarathon(parse({ apps: changed }), memo);
    if (!first.ok || !second.ok) throw new Error('not normalized');
    expect(second).toEqual(normalizeMarathon({ apps: changed }));
    const firstById = new Map(first.state.apps.map((a) => [a.id, a]));
    for (const app of second.state.apps) {
      if (app.id === '/app-7') expect(app).not.toBe(firstById.get(app.id));
      else expect(app).toBe(firstById.get(app.id));
    }
  });

  it('prepared as they are parsed, bad and duplicate apps give the diagnostics they give when normalized whole', () => {
    const good = (i: number) => ({ id: `/app-${i}`, labels: {}, tasks: [{ id: `app-${i}.1`, host: '127.0.0.1', ports: [31000 + i] }] });
    const apps: unknown[] = [good(0), { id: 5 }, good(1), { ...good(0), instances: 3 }, good(1), 'not an app', { ...good(2), tasks: [{ id: 'x' }, good(2).tasks[0]] }];
    const text = Buffer.from(JSON.stringify({ apps }), 'utf8');
    for (const memo of [null, new MarathonAppMemo()]) {
      const prepared = runToEnd(parseJsonSteps(text, 32, prepareMarathonApps(text, memo)));
      const whole = normalizeMarathon({ apps }, memo === null ? null : new MarathonAppMemo());
      expect(normalizeMarathon(prepared, memo)).toEqual(whole);
      expect(whole.ok ? whole.diagnostics.map((d) => `${d.code} ${d.subject}`) : []).toEqual([
        'SWY_UPSTREAM_INVALID_APP 5',
        'SWY_UPSTREAM_INVALID_APP /app-0',
        'SWY_UPSTREAM_INVALID_APP /app-1',
        'SWY_UPSTREAM_INVALID_APP apps[5]',
        'SWY_UPSTREAM_INVALID_TASK /app-2/tasks[0]',
      ]);
    }
  });

  it('skips a malformed app or task with a diagnostic and keeps every other one', () => {
    const result = normalizeMarathon({
      apps: [
        { id: 'no-leading-slash', labels: {}, tasks: [] },
        { id: '/ports-wrong', labels: {}, ports: 'eighty', tasks: [] },
        { id: '/good', labels: { HAPROXY_GROUP: 'external' }, tasks: [{ id: 'good.1', host: '127.0.0.1', ports: [31000] }, { id: 'good.2' }] },
        { id: '/good', labels: {}, tasks: [] },
      ],
    });
    if (!result.ok) throw new Error(result.message);
    expect(result.state.apps.map((a) => a.id)).toEqual(['/good']);
    expect(result.state.apps[0]?.tasks.map((t) => t.id)).toEqual(['good.1']);
    expect(result.diagnostics.map((d) => [d.code, d.subject])).toEqual([
      ['SWY_UPSTREAM_INVALID_APP', 'no-leading-slash'],
      ['SWY_UPSTREAM_INVALID_APP', '/ports-wrong'],
      ['SWY_UPSTREAM_INVALID_TASK', '/good/tasks[1]'],
      ['SWY_UPSTREAM_INVALID_APP', '/good'],
    ]);
  });

  it.each([[[]], [{ apps: 5 }], [{ message: 'not the leader' }], [null]])('rejects a document of the wrong shape: %j', (doc) => {
    expect(normalizeMarathon(doc).ok).toBe(false);
  });

  it('is deterministic: apps and tasks come out sorted whatever the input order', () => {
    const doc = fixture('synthetic/fake-marathon-apps.json') as { apps: unknown[] };
    const reversed = { apps: [...doc.apps].reverse() };
    expect(JSON.stringify(normalizeMarathon(reversed))).toBe(JSON.stringify(normalizeMarathon(doc)));
  });
});

describe('MarathonSource', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map(closeHttpServer));
  });

  async function fakeMarathon(status: number, body: string): Promise<{ url: string; paths: string[]; auth: (string | undefined)[] }> {
    const paths: string[] = [];
    const auth: (string | undefined)[] = [];
    const server = createServer((req, res) => {
      paths.push(req.url ?? '');
      auth.push(req.headers.authorization);
      res.writeHead(status, { 'content-type': 'application/json' }).end(body);
    });
    servers.push(server);
    const port = await listen(server, 0, '127.0.0.1');
    return { url: `http://127.0.0.1:${port}/`, paths, auth };
  }

  it('asks /v2/apps?embed=apps.tasks with basic auth, moving on from a failing URL and preferring the one that answered', async () => {
    const broken = await fakeMarathon(503, '{"message":"no leader"}');
    const good = await fakeMarathon(200, JSON.stringify({ apps: [] }));
    const source = new MarathonSource({ urls: [broken.url, good.url], timeoutMs: 2000, basicAuth: 'lb:pw' });
    const first = await source.fetch(null);
    if (first.unchanged) throw new Error('the first fetch cannot be unchanged');
    expect(first.doc).toEqual({ apps: [] });
    // The same answer again, with the first as known: recognised without parsing.
    expect((await source.fetch(await KnownBody.of(first.body))).unchanged).toBe(true);
    expect(good.paths).toEqual(['/v2/apps?embed=apps.tasks', '/v2/apps?embed=apps.tasks']);
    expect(broken.paths).toHaveLength(1);
    expect(good.auth[0]).toBe(`Basic ${Buffer.from('lb:pw').toString('base64')}`);
  });

  it('applies the poller\'s item hook to each app of a large answer as it parses it', async () => {
    const apps = Array.from({ length: 1000 }, (_, i) => ({ id: `/app-${i}`, labels: {}, tasks: [{ id: `app-${i}.1`, host: '127.0.0.1', ports: [31000 + i] }] }));
    const text = JSON.stringify({ apps });
    expect(text.length).toBeGreaterThan(64 * 1024);
    const good = await fakeMarathon(200, text);
    const memo = new MarathonAppMemo();
    const fetched = await new MarathonSource({ urls: [good.url], timeoutMs: 2000, basicAuth: null }).fetch(null, (bytes) => prepareMarathonApps(bytes, memo));
    if (fetched.unchanged) throw new Error('the first fetch cannot be unchanged');
    const parsed = (fetched.doc as { apps: object[] }).apps;
    expect(parsed).toHaveLength(1000);
    parsed.forEach((app, i) => expect(app instanceof PreparedApp ? app.key : null).toBe(hash('sha1', JSON.stringify(apps[i]), 'base64')));
  });

  it('fails with SWY_UPSTREAM_UNAVAILABLE naming every URL when none answers', async () => {
    const broken = await fakeMarathon(500, 'oops');
    const other = await fakeMarathon(200, '{not json');
    const source = new MarathonSource({ urls: [broken.url, other.url], timeoutMs: 2000, basicAuth: null });
    await expect(source.fetch(null)).rejects.toMatchObject({ code: 'SWY_UPSTREAM_UNAVAILABLE' });
  });
});
