// MarathonPoller when things go wrong or come from elsewhere: failing Marathons keep the last good apps with a stable
// code and recover, a watched file (marathonFile) is followed, task hosts are resolved, diagnostics logged once.
// I/O: loopback HTTP (FakeMarathon) and a temp folder.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { ErrorCode } from '../../state-poller/errors.js';
import { FileSource } from '../../state-poller/file-source.js';
import { MarathonPoller, type MarathonPollerOptions } from '../../state-poller/marathon-poller.js';
import { MarathonSource } from '../../state-poller/marathon-source.js';
import type { Snapshot } from '../../state-poller/model.js';
import type { PollResult, StateSource } from '../../state-poller/poller.js';
import { SnapshotStore } from '../../state-poller/store.js';
import { FakeMarathon } from '../helpers/fake-marathon.js';

const fixtureText = (path: string): string => readFileSync(new URL(`../fixtures/marathon-lb/${path}`, import.meta.url), 'utf8');
const synthetic = JSON.parse(fixtureText('synthetic/fake-marathon-apps.json')) as unknown;
const marathon15Text = fixtureText('upstream/tests/marathon15_apps.json');

const appIds = (snapshot: Snapshot): string[] => (snapshot.marathon?.apps ?? []).map((app) => app.id);
const codeOf = (result: PollResult): ErrorCode | 'ok' => (result.ok ? 'ok' : result.error.code);

async function waitFor(what: string, check: () => boolean, timeoutMs = 2_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function capture(): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
  return { logger, lines };
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

function poller(source: StateSource, extra: Partial<MarathonPollerOptions> = {}) {
  const store = new SnapshotStore();
  const { logger, lines } = capture();
  const made = new MarathonPoller({ source, store, logger, resyncMs: 60_000, minIntervalMs: 20, maxDelayMs: 200, ...extra });
  cleanups.push(() => made.stop());
  return { poller: made, store, lines };
}

async function fake(): Promise<FakeMarathon> {
  const started = await FakeMarathon.start();
  cleanups.push(() => started.close());
  started.setApps(synthetic);
  return started;
}

const sourceFor = (url: string): MarathonSource => new MarathonSource({ urls: [url], timeoutMs: 2_000, basicAuth: null });

describe('a failing Marathon keeps the last good apps', () => {
  it.each([
    ['HTTP 500 with a Marathon error body', 500, '{"message":"boom"}', 'SWY_UPSTREAM_HTTP_STATUS'],
    ['HTTP 503 from a non-leader', 503, '{"message":"Could not determine the current leader"}', 'SWY_UPSTREAM_HTTP_STATUS'],
    ['truncated JSON', 200, '{"apps": [{"id": "/a", "tas', 'SWY_UPSTREAM_MALFORMED'],
    ['an error document instead of apps', 200, '{"message":"not the leader"}', 'SWY_UPSTREAM_MALFORMED'],
    ['apps of the wrong type', 200, '{"apps": 5}', 'SWY_UPSTREAM_MALFORMED'],
  ] as const)('%s → %s, then recovers', async (_label, status, body, code) => {
    const marathon = await fake();
    const { poller: p, store, lines } = poller(sourceFor(marathon.url));
    expect(await p.refresh('first')).toEqual({ ok: true, generation: 1 });
    const before = store.snapshot;

    marathon.setRaw(status, body);
    expect(codeOf(await p.refresh('bad'))).toBe(code);
    expect(store.snapshot).toBe(before);
    expect(store.failureOf('marathon')).toMatchObject({ code, source: 'marathon' });
    expect(store.lastFailure?.code).toBe(code);
    expect(store.failureOf('mesos')).toBeNull();
    expect(lines.filter((line) => line.level === 50).map((line) => [line.code, line.reason, line.msg])).toEqual([
      [code, 'bad', 'marathon fetch failed; still serving the last good apps'],
    ]);

    marathon.setApps(JSON.parse(marathon15Text) as unknown);
    expect(await p.refresh('recovered')).toEqual({ ok: true, generation: 2 });
    expect(store.failureOf('marathon')).toBeNull();
    expect(appIds(store.snapshot)).toEqual(['/pywebserver']);
    expect(p.counters).toMatchObject({ fetches: 3, failures: 1 });
  });

  it('a closed port → SWY_UPSTREAM_UNAVAILABLE, before and after a good load; a Marathon that answers again recovers', async () => {
    const first = await fake();
    let current = sourceFor(first.url);
    // Lets the test move the poller to another Marathon, as a restarted one on a new port would be.
    const switching: StateSource = { fetch: () => current.fetch(), close: () => current.close() };
    const { poller: p, store } = poller(switching);
    expect(await p.refresh('first')).toEqual({ ok: true, generation: 1 });
    const before = store.snapshot;

    await first.close();
    const down = await p.refresh('marathon down');
    expect(codeOf(down)).toBe('SWY_UPSTREAM_UNAVAILABLE');
    expect(down.ok ? '' : down.error.message).toContain(first.url);
    expect(store.snapshot).toBe(before);
    expect(store.failureOf('marathon')?.code).toBe('SWY_UPSTREAM_UNAVAILABLE');

    const second = await fake();
    second.setApps(JSON.parse(marathon15Text) as unknown);
    await current.close();
    current = sourceFor(second.url);
    expect(await p.refresh('marathon back')).toEqual({ ok: true, generation: 2 });
    expect(appIds(store.snapshot)).toEqual(['/pywebserver']);
    expect(store.lastFailure).toBeNull();
  });

  it('nothing loaded yet: a failure leaves the Marathon half null', async () => {
    const marathon = await fake();
    marathon.setRaw(500, '{"message":"starting"}');
    const { poller: p, store, lines } = poller(sourceFor(marathon.url));
    expect(codeOf(await p.refresh('first'))).toBe('SWY_UPSTREAM_HTTP_STATUS');
    expect(store.snapshot).toMatchObject({ generation: 0, marathon: null });
    expect(lines.some((line) => line.msg === 'marathon fetch failed; no apps loaded yet')).toBe(true);
  });
});

describe('a Marathon apps file (marathonFile)', () => {
  it('is loaded at start and an edit is picked up; invalid JSON keeps the last good apps', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-marathon-file-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 'apps.json');
    writeFileSync(path, JSON.stringify(synthetic));
    const { poller: p, store, lines } = poller(new FileSource(path));
    p.start();
    await waitFor('the file to load', () => store.snapshot.generation === 1);
    expect(appIds(store.snapshot)).toContain('/web/frontend');
    // chokidar needs a moment to be watching.
    await new Promise((resolve) => setTimeout(resolve, 200));

    writeFileSync(path, marathon15Text);
    await waitFor('the edit', () => appIds(store.snapshot).join() === '/pywebserver', 1_500);
    expect(lines.filter((line) => line.msg === 'marathon apps loaded').map((line) => line.reason)).toEqual(['start', 'source changed']);

    const before = store.snapshot;
    writeFileSync(path, marathon15Text.slice(0, 40));
    await waitFor('the broken file to be read', () => store.failureOf('marathon') !== null, 1_500);
    expect(store.failureOf('marathon')?.code).toBe('SWY_UPSTREAM_MALFORMED');
    expect(store.snapshot).toBe(before);
  });
});

describe('task hosts', () => {
  const task = (id: string, host: string) => ({ id, host, ports: [31000], state: 'TASK_RUNNING' });
  const doc = {
    apps: [
      { id: '/a', labels: {}, tasks: [task('a.1', 'agent-b.test'), task('a.2', 'agent-a.test'), task('a.3', '10.0.0.7'), task('a.4', '')] },
      { id: '/b', labels: {}, tasks: [task('b.1', 'agent-a.test'), task('b.2', 'fd00::7'), task('b.3', 'constructor'), task('b.4', 'broken.test')] },
    ],
  };

  it('each distinct non-IP host is resolved once per fetch, all at once, into MarathonState.hosts', async () => {
    const marathon = await fake();
    marathon.setApps(doc);
    const asked: string[] = [];
    let inFlight = 0;
    let mostAtOnce = 0;
    const answers: Record<string, readonly string[]> = { 'agent-a.test': ['10.9.0.1', '10.9.0.2'], 'agent-b.test': [], constructor: ['10.9.0.3'] };
    const resolveHost = async (host: string): Promise<readonly string[]> => {
      asked.push(host);
      inFlight += 1;
      mostAtOnce = Math.max(mostAtOnce, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 20));
      inFlight -= 1;
      if (host === 'broken.test') throw new Error('resolver exploded');
      return answers[host] ?? [];
    };
    const { poller: p, store, lines } = poller(sourceFor(marathon.url), { resolveHost });
    expect((await p.refresh('first')).ok).toBe(true);

    const hosts = store.snapshot.marathon?.hosts ?? {};
    expect(Object.entries(hosts)).toEqual([
      ['agent-a.test', ['10.9.0.1', '10.9.0.2']],
      ['agent-b.test', []],
      ['broken.test', []],
      ['constructor', ['10.9.0.3']],
    ]);
    expect(Object.hasOwn(hosts, '10.0.0.7') || Object.hasOwn(hosts, 'fd00::7') || Object.hasOwn(hosts, '')).toBe(false);
    expect(Object.getPrototypeOf(hosts)).toBeNull();
    expect([...asked].sort()).toEqual(['agent-a.test', 'agent-b.test', 'broken.test', 'constructor']);
    expect(mostAtOnce).toBe(4);
    expect(lines.filter((line) => line.level === 40).map((line) => line.host)).toEqual(['broken.test']);

    // Not cached across fetches: a host that moved is seen on the next one.
    expect((await p.refresh('second')).ok).toBe(true);
    expect(asked).toHaveLength(8);
  });
});

describe('diagnostics', () => {
  it('a bad app is skipped with a diagnostic in the snapshot, logged once however often it is fetched', async () => {
    const marathon = await fake();
    marathon.setApps({ apps: [{ id: 'no-slash', labels: {}, tasks: [] }, ...(synthetic as { apps: unknown[] }).apps] });
    const { poller: p, store, lines } = poller(sourceFor(marathon.url));
    expect((await p.refresh('first')).ok).toBe(true);
    expect((await p.refresh('second')).ok).toBe(true);
    expect(store.snapshot.diagnostics.map((d) => [d.code, d.source, d.subject])).toEqual([['SWY_UPSTREAM_INVALID_APP', 'marathon', 'no-slash']]);
    expect(appIds(store.snapshot)).toHaveLength(6);
    expect(lines.filter((line) => line.code === 'SWY_UPSTREAM_INVALID_APP')).toHaveLength(1);
  });
});
