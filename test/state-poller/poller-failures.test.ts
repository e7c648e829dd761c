// MesosPoller + MesosSource + SnapshotStore against fake masters over real loopback HTTP: every upstream failure gets
// its error code, keeps the last good snapshot, and a later good poll recovers; bad items are skipped, not fatal.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeMaster, type MasterBehaviour } from '../helpers/fake-master.js';
import type { ErrorCode } from '../../state-poller/errors.js';
import { MesosSource } from '../../state-poller/mesos-source.js';
import type { HostPort, Snapshot, Task } from '../../state-poller/model.js';
import { MesosPoller, type PollResult } from '../../state-poller/poller.js';
import { SnapshotStore } from '../../state-poller/store.js';
import { splitHostPort } from '../../state-poller/upid.js';

const logger = pino({ level: 'silent' });
const fixture = new URL('../fixtures/mesos-dns/generated/served-master-state.json', import.meta.url);
const stateText = readFileSync(fixture, 'utf8');

type Json = Record<string, unknown>;

/** A fresh, mutable copy of the fixture state. */
function freshState(): Json {
  return JSON.parse(stateText) as Json;
}

function hostPort(raw: string): HostPort {
  const parsed = splitHostPort(raw);
  if (parsed === null) throw new Error(`bad host:port ${raw}`);
  return parsed;
}

/** A port on 127.0.0.1 that nobody listens on: bound to 0, read, closed. */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function allTasks(snapshot: Snapshot): Task[] {
  return (snapshot.mesos?.frameworks ?? []).flatMap((fw) => fw.tasks);
}

function failure(result: PollResult): ErrorCode {
  if (result.ok) throw new Error(`expected a failed poll, got generation ${result.generation}`);
  return result.error.code;
}

const masters: FakeMaster[] = [];
const pollers: MesosPoller[] = [];

afterEach(async () => {
  await Promise.all(pollers.splice(0).map((p) => p.stop()));
  await Promise.all(masters.splice(0).map((m) => m.close()));
});

async function startMaster(behaviour: MasterBehaviour, host = '127.0.0.1', port = 0): Promise<FakeMaster> {
  const master = new FakeMaster(behaviour);
  masters.push(master);
  await master.start(host, port);
  return master;
}

function makePoller(addresses: readonly string[], timeoutMs = 2000): { poller: MesosPoller; store: SnapshotStore } {
  const store = new SnapshotStore();
  const source = new MesosSource({ masters: addresses.map(hostPort), timeoutMs, https: false, basicAuth: null });
  const poller = new MesosPoller({
    source,
    store,
    refreshMs: 60_000,
    logger,
    resolveHost: async (h) => (h === 'localhost' ? ['127.0.0.1'] : []),
  });
  pollers.push(poller);
  return { poller, store };
}

/**
 * One master: a good poll, then `bad` is served and must fail with `code` without touching the snapshot,
 * then the good state again: recognised as the state already served (no new generation), and the failure cleared.
 */
async function failsThenRecovers(bad: MasterBehaviour, code: ErrorCode): Promise<void> {
  const good: MasterBehaviour = { kind: 'state', body: freshState() };
  const master = await startMaster(good);
  const { poller, store } = makePoller([`127.0.0.1:${master.port}`]);

  expect(await poller.pollNow('first')).toEqual({ ok: true, generation: 1 });
  const before = store.snapshot;
  const content = JSON.stringify(before);

  master.behaviour = bad;
  expect(failure(await poller.pollNow('bad'))).toBe(code);
  expect(store.lastFailure?.code).toBe(code);
  expect(store.snapshot).toBe(before);
  expect(store.snapshot.generation).toBe(1);
  expect(JSON.stringify(store.snapshot)).toBe(content);

  master.behaviour = good;
  expect(await poller.pollNow('recovered')).toEqual({ ok: true, generation: 1 });
  expect(store.lastFailure).toBeNull();
  expect(store.snapshot).toBe(before);
  expect(poller.counters.unchanged).toBe(1);
}

describe('a failed poll keeps the last good snapshot and records the error code', () => {
  it('connection refused → SWY_UPSTREAM_UNAVAILABLE (nothing loaded yet)', async () => {
    const port = await deadPort();
    const { poller, store } = makePoller([`127.0.0.1:${port}`]);
    const result = await poller.pollNow('first');
    expect(failure(result)).toBe('SWY_UPSTREAM_UNAVAILABLE');
    expect(result.ok ? '' : result.error.message).toContain('ECONNREFUSED');
    expect(store.lastFailure?.code).toBe('SWY_UPSTREAM_UNAVAILABLE');
    expect(store.snapshot).toEqual({ generation: 0, loadedAt: 0, mesos: null, marathon: null, diagnostics: [] });
  });

  it('connection refused after a good poll → SWY_UPSTREAM_UNAVAILABLE, then the master comes back', async () => {
    const master = await startMaster({ kind: 'state', body: freshState() });
    const port = master.port;
    const { poller, store } = makePoller([`127.0.0.1:${port}`]);
    expect(await poller.pollNow('first')).toEqual({ ok: true, generation: 1 });
    const before = store.snapshot;
    const content = JSON.stringify(before);

    await master.close();
    expect(failure(await poller.pollNow('master down'))).toBe('SWY_UPSTREAM_UNAVAILABLE');
    expect(store.lastFailure?.code).toBe('SWY_UPSTREAM_UNAVAILABLE');
    expect(store.snapshot).toBe(before);
    expect(JSON.stringify(store.snapshot)).toBe(content);

    await master.start('127.0.0.1', port);
    expect(await poller.pollNow('master back')).toEqual({ ok: true, generation: 1 });
    expect(store.lastFailure).toBeNull();
    expect(store.failureOf('mesos')).toBeNull();
  });

  it('HTTP 500 → SWY_UPSTREAM_HTTP_STATUS', async () => {
    await failsThenRecovers({ kind: 'status', status: 500, body: 'internal error' }, 'SWY_UPSTREAM_HTTP_STATUS');
  });

  it('truncated JSON → SWY_UPSTREAM_MALFORMED', async () => {
    const text = JSON.stringify(freshState());
    await failsThenRecovers({ kind: 'raw', body: text.slice(0, Math.floor(text.length / 2)) }, 'SWY_UPSTREAM_MALFORMED');
  });

  it('an empty body → SWY_UPSTREAM_MALFORMED', async () => {
    await failsThenRecovers({ kind: 'raw', body: '' }, 'SWY_UPSTREAM_MALFORMED');
  });

  it('a JSON array instead of an object → SWY_UPSTREAM_MALFORMED', async () => {
    await failsThenRecovers({ kind: 'state', body: [] }, 'SWY_UPSTREAM_MALFORMED');
  });

  it('JSON null → SWY_UPSTREAM_MALFORMED', async () => {
    await failsThenRecovers({ kind: 'raw', body: 'null' }, 'SWY_UPSTREAM_MALFORMED');
  });

  it('a leader but frameworks of the wrong type → SWY_UPSTREAM_MALFORMED', async () => {
    await failsThenRecovers({ kind: 'state', body: { ...freshState(), frameworks: 5 } }, 'SWY_UPSTREAM_MALFORMED');
  });

  it('a leader but slaves of the wrong type → SWY_UPSTREAM_MALFORMED', async () => {
    await failsThenRecovers({ kind: 'state', body: { ...freshState(), slaves: { id: 'x' } } }, 'SWY_UPSTREAM_MALFORMED');
  });

  it('{"frameworks": 5} (no leader, and more wrong) → SWY_UPSTREAM_MALFORMED: NO_LEADER is kept for a state whose only fault is the leader', async () => {
    await failsThenRecovers({ kind: 'state', body: { frameworks: 5 } }, 'SWY_UPSTREAM_MALFORMED');
  });

  it('a state without leader → SWY_UPSTREAM_NO_LEADER', async () => {
    const { leader: _leader, ...withoutLeader } = freshState();
    await failsThenRecovers({ kind: 'state', body: withoutLeader }, 'SWY_UPSTREAM_NO_LEADER');
  });

  it('a state with an empty leader → SWY_UPSTREAM_NO_LEADER', async () => {
    await failsThenRecovers({ kind: 'state', body: { ...freshState(), leader: '' } }, 'SWY_UPSTREAM_NO_LEADER');
  });

  it('a master that never answers → SWY_UPSTREAM_UNAVAILABLE within about a second (timeoutMs 300)', async () => {
    const good: MasterBehaviour = { kind: 'state', body: freshState() };
    const master = await startMaster(good);
    const { poller, store } = makePoller([`127.0.0.1:${master.port}`], 300);
    expect(await poller.pollNow('first')).toEqual({ ok: true, generation: 1 });
    const before = store.snapshot;

    master.behaviour = { kind: 'hang' };
    const started = performance.now();
    const result = await poller.pollNow('hang');
    const elapsed = performance.now() - started;
    expect(failure(result)).toBe('SWY_UPSTREAM_UNAVAILABLE');
    expect(store.lastFailure?.code).toBe('SWY_UPSTREAM_UNAVAILABLE');
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(1200);
    expect(store.snapshot).toBe(before);

    master.behaviour = good;
    expect(await poller.pollNow('recovered')).toEqual({ ok: true, generation: 1 });
  });
});

describe('several masters', () => {
  it('first master dead, second healthy → ok', async () => {
    const dead = await deadPort();
    const healthy = await startMaster({ kind: 'state', body: freshState() });
    const { poller, store } = makePoller([`127.0.0.1:${dead}`, `127.0.0.1:${healthy.port}`]);
    expect(await poller.pollNow('first')).toEqual({ ok: true, generation: 1 });
    expect(healthy.requests).toBe(1);
    expect(store.lastFailure).toBeNull();
    expect(store.snapshot.mesos?.leader).toBe('master@127.0.0.1:15050');
  });

  it('masters are tried in order, and the one that answered is asked first next time', async () => {
    const failing = await startMaster({ kind: 'status', status: 503, body: 'not the leader' });
    const healthy = await startMaster({ kind: 'state', body: freshState() });
    const { poller } = makePoller([`127.0.0.1:${failing.port}`, `127.0.0.1:${healthy.port}`]);
    expect(await poller.pollNow('first')).toEqual({ ok: true, generation: 1 });
    expect([failing.requests, healthy.requests]).toEqual([1, 1]);
    expect(await poller.pollNow('second')).toEqual({ ok: true, generation: 1 });
    expect([failing.requests, healthy.requests]).toEqual([1, 2]);
  });

  it('every master failing → SWY_UPSTREAM_UNAVAILABLE naming each one', async () => {
    const dead = await deadPort();
    const failing = await startMaster({ kind: 'status', status: 500, body: 'x' });
    const { poller, store } = makePoller([`127.0.0.1:${dead}`, `127.0.0.1:${failing.port}`]);
    const result = await poller.pollNow('first');
    expect(failure(result)).toBe('SWY_UPSTREAM_UNAVAILABLE');
    expect(result.ok ? '' : result.error.message).toContain(`127.0.0.1:${dead}`);
    expect(result.ok ? '' : result.error.message).toContain(`127.0.0.1:${failing.port}`);
    expect(store.lastFailure?.code).toBe('SWY_UPSTREAM_UNAVAILABLE');
    expect(store.snapshot.generation).toBe(0);
  });

  it('follows the leader redirect to the leader IP on the port that was contacted', async () => {
    const a = await startMaster({ kind: 'state', body: { ...freshState(), leader: 'master@127.0.0.2:5050' } });
    const b = await startMaster({ kind: 'state', body: {} }, '127.0.0.2', a.port);
    const bLeader = `master@127.0.0.2:${b.port}`;
    b.behaviour = { kind: 'state', body: { ...freshState(), leader: bLeader } };
    expect(b.port).toBe(a.port);

    const { poller, store } = makePoller([`127.0.0.1:${a.port}`]);
    expect(await poller.pollNow('first')).toEqual({ ok: true, generation: 1 });
    expect(a.requests).toBe(1);
    expect(b.requests).toBe(1);
    expect(store.snapshot.mesos?.leader).toBe(bLeader);
    expect(store.snapshot.mesos?.leaderAddress).toEqual({ raw: `127.0.0.2:${a.port}`, host: '127.0.0.2', port: a.port });
  });

  it('a redirect to a leader that does not answer fails the poll and keeps the old snapshot', async () => {
    const good: MasterBehaviour = { kind: 'state', body: freshState() };
    const a = await startMaster(good);
    const { poller, store } = makePoller([`127.0.0.1:${a.port}`]);
    expect(await poller.pollNow('first')).toEqual({ ok: true, generation: 1 });
    const before = store.snapshot;
    // Nobody listens on 127.0.0.3 at this port.
    a.behaviour = { kind: 'state', body: { ...freshState(), leader: 'master@127.0.0.3:5050' } };
    expect(failure(await poller.pollNow('redirect'))).toBe('SWY_UPSTREAM_UNAVAILABLE');
    expect(store.snapshot).toBe(before);
  });
});

describe('bad items in a good state', () => {
  it('skips one bad task and one bad framework with diagnostics; pid null and ports "[31332]" are accepted', async () => {
    const baseline = await startMaster({ kind: 'state', body: freshState() });
    const { poller: basePoller, store: baseStore } = makePoller([`127.0.0.1:${baseline.port}`]);
    expect((await basePoller.pollNow('baseline')).ok).toBe(true);
    const baselineIds = allTasks(baseStore.snapshot).map((t) => `${t.id} ${t.name}`);
    expect(baselineIds.length).toBeGreaterThan(5);

    const state = freshState();
    const frameworks = state.frameworks as Json[];
    const marathon = frameworks.find((fw) => fw.name === 'marathon');
    if (marathon === undefined) throw new Error('the fixture has no marathon framework');
    const tasks = marathon.tasks as Json[];
    const running = tasks.find((t) => t.name === 'nginx');
    if (running === undefined) throw new Error('the fixture has no nginx task');
    const { id: _id, ...withoutId } = running;
    tasks.push(
      { ...running, id: 'garbage-ports.1', name: 'garbage-ports', resources: { ports: 'garbage' } },
      { ...withoutId, name: 'no-id' },
      { ...running, id: 'single-port.1', name: 'single-port', resources: { ports: '[31332]' } },
    );
    frameworks.push({ name: 42, pid: 'scheduler(1)@1.2.3.13:25501', tasks: [{ ...running, id: 'in-bad-framework.1' }] });
    const master = await startMaster({ kind: 'state', body: state });
    const { poller, store } = makePoller([`127.0.0.1:${master.port}`]);

    expect(await poller.pollNow('first')).toEqual({ ok: true, generation: 1 });
    const snapshot = store.snapshot;
    expect(store.lastFailure).toBeNull();

    const codes = snapshot.diagnostics.map((d) => d.code).sort();
    expect(codes).toEqual(['SWY_UPSTREAM_INVALID_FRAMEWORK', 'SWY_UPSTREAM_INVALID_TASK', 'SWY_UPSTREAM_INVALID_TASK']);
    expect(snapshot.diagnostics.every((d) => d.source === 'mesos')).toBe(true);
    const subjects = snapshot.diagnostics.map((d) => d.subject);
    expect(subjects).toContain('garbage-ports.1');
    expect(subjects).toContain(`frameworks[${frameworks.length - 1}]`);
    expect(subjects.some((s) => s.startsWith('marathon/tasks['))).toBe(true);

    const ids = allTasks(snapshot).map((t) => `${t.id} ${t.name}`);
    expect(ids.sort()).toEqual([...baselineIds, 'single-port.1 single-port'].sort());
    expect(ids.some((id) => id.startsWith('garbage-ports') || id.includes('no-id') || id.startsWith('in-bad-framework'))).toBe(false);
    expect(allTasks(snapshot).find((t) => t.id === 'single-port.1')?.ports).toEqual([31332]);

    const names = snapshot.mesos?.frameworks.map((fw) => fw.name) ?? [];
    expect(names).toHaveLength(frameworks.length - 1);
    const noPid = snapshot.mesos?.frameworks.find((fw) => fw.name === 'no pid');
    // "pid": null means no pid: the framework stays, its address comes from hostname ("localhost").
    expect(noPid).toEqual({ name: 'no pid', ips: ['127.0.0.1'], port: null, tasks: [] });
  });
});

describe('pollNow while a poll runs', () => {
  it('coalesces: calls during a poll share one follow-up poll, which settles after the state it fetched is in', async () => {
    const master = await startMaster({ kind: 'state', body: freshState() });
    const { poller, store } = makePoller([`127.0.0.1:${master.port}`]);
    const generations: number[] = [];
    store.subscribe((s) => generations.push(s.generation));

    const p1 = poller.pollNow('one');
    const p2 = poller.pollNow('two');
    const p3 = poller.pollNow('three');
    expect(p2).not.toBe(p1);
    expect(p3).toBe(p2);
    expect(await p1).toEqual({ ok: true, generation: 1 });
    // The follow-up fetched the same state: confirmed, not installed again.
    expect(await p2).toEqual({ ok: true, generation: 1 });
    expect(poller.counters).toMatchObject({ polls: 2, unchanged: 1, failures: 0 });
    // Give a (wrong) third poll the chance to happen before counting.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(master.requests).toBe(2);
    expect(generations).toEqual([1]);
  });
});
