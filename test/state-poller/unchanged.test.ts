// Recognising an unchanged upstream state before parsing it: Body equality across chunk boundaries (property test),
// then MesosPoller and MarathonPoller over real loopback HTTP: the same body confirms the served state (no new
// generation, no listener call, its age reset), a changed body or a host that now resolves elsewhere installs anew.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { Body, BodyCollector } from '../../state-poller/body.js';
import { MarathonPoller } from '../../state-poller/marathon-poller.js';
import { MarathonSource } from '../../state-poller/marathon-source.js';
import { MesosSource } from '../../state-poller/mesos-source.js';
import { MesosPoller } from '../../state-poller/poller.js';
import { SnapshotStore } from '../../state-poller/store.js';
import { splitHostPort } from '../../state-poller/upid.js';
import type { HostPort } from '../../state-poller/model.js';
import { FakeMarathon } from '../helpers/fake-marathon.js';
import { FakeMaster } from '../helpers/fake-master.js';

const logger = pino({ level: 'silent' });
const stateText = readFileSync(new URL('../fixtures/mesos-dns/generated/served-master-state.json', import.meta.url), 'utf8');
const freshState = (): Record<string, unknown> => JSON.parse(stateText) as Record<string, unknown>;

/** `bytes` cut at the given offsets (sorted, deduplicated, within range). */
function split(bytes: Buffer, cuts: readonly number[]): Body {
  const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let from = 0;
  for (const cut of [...at, bytes.length]) {
    chunks.push(bytes.subarray(from, cut));
    from = cut;
  }
  return new Body(chunks);
}

describe('Body.equals', () => {
  it('is byte equality whatever the chunk boundaries', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 300 }), fc.array(fc.nat(), { maxLength: 8 }), fc.array(fc.nat(), { maxLength: 8 }), (raw, cutsA, cutsB) => {
        const bytes = Buffer.from(raw);
        const a = split(bytes, cutsA);
        const b = split(Buffer.from(bytes), cutsB);
        expect(a.equals(b)).toBe(true);
        expect(a.text()).toBe(bytes.toString('utf8'));
      }),
    );
  });

  it('sees one changed byte anywhere, and a different length', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 300 }), fc.nat(), fc.array(fc.nat(), { maxLength: 8 }), fc.array(fc.nat(), { maxLength: 8 }), (raw, where, cutsA, cutsB) => {
        const bytes = Buffer.from(raw);
        const changed = Buffer.from(bytes);
        const i = where % changed.length;
        changed[i] = ((changed[i] ?? 0) + 1) & 0xff;
        expect(split(bytes, cutsA).equals(split(changed, cutsB))).toBe(false);
        expect(split(bytes, cutsA).equals(split(bytes.subarray(0, bytes.length - 1), cutsB))).toBe(false);
      }),
    );
  });
});

describe('BodyCollector', () => {
  /** Feeds `incoming` cut at `cuts` to a collector that knows `known`. */
  const collect = (known: Body | null, incoming: Buffer, cuts: readonly number[]) => {
    const collector = new BodyCollector(known);
    for (const chunk of split(incoming, cuts).chunks) collector.push(Buffer.from(chunk));
    return collector.finish();
  };

  it('gives back the bytes received, and unchanged exactly when they equal the known body', () => {
    const bytes = fc.uint8Array({ minLength: 0, maxLength: 200 });
    fc.assert(
      fc.property(bytes, bytes, fc.boolean(), fc.array(fc.nat(), { maxLength: 6 }), fc.array(fc.nat(), { maxLength: 6 }), (knownRaw, otherRaw, same, knownCuts, cuts) => {
        const known = split(Buffer.from(knownRaw), knownCuts);
        // Half the cases receive the known bytes, or the known bytes with a change or cut, which is where it is hard.
        const incoming = same ? Buffer.from(knownRaw) : Buffer.concat([Buffer.from(knownRaw).subarray(0, otherRaw.length % (knownRaw.length + 1)), Buffer.from(otherRaw)]);
        const got = collect(known, incoming, cuts);
        expect(got.unchanged).toBe(incoming.equals(Buffer.from(knownRaw)));
        expect(Buffer.concat(got.body.chunks as Buffer[]).equals(incoming)).toBe(true);
        expect(got.body.length).toBe(incoming.length);
        if (got.unchanged) expect(got.body).toBe(known);
        expect(collect(null, incoming, cuts).unchanged).toBe(false);
      }),
    );
  });
});

const masters: FakeMaster[] = [];
const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (stops.length > 0) await stops.pop()?.();
  await Promise.all(masters.splice(0).map((m) => m.close()));
});

function hostPort(raw: string): HostPort {
  const parsed = splitHostPort(raw);
  if (parsed === null) throw new Error(`bad host:port ${raw}`);
  return parsed;
}

async function master(body: unknown, host = '127.0.0.1', port = 0): Promise<FakeMaster> {
  const m = new FakeMaster({ kind: 'state', body });
  masters.push(m);
  await m.start(host, port);
  return m;
}

function mesosPoller(addresses: readonly string[], resolveHost: (h: string) => Promise<readonly string[]>) {
  const store = new SnapshotStore();
  let clock = 1_000;
  const poller = new MesosPoller({
    source: new MesosSource({ masters: addresses.map(hostPort), timeoutMs: 2000, https: false, basicAuth: null }),
    store,
    refreshMs: 60_000,
    logger,
    resolveHost,
    now: () => (clock += 1000),
  });
  stops.push(() => poller.stop());
  const installed: number[] = [];
  store.subscribe((s) => installed.push(s.generation));
  return { poller, store, installed };
}

describe('MesosPoller and an unchanged state', () => {
  it('confirms the same body without a new generation, installs a changed one, and resets the age either way', async () => {
    const m = await master(freshState());
    const { poller, store, installed } = mesosPoller([`127.0.0.1:${m.port}`], async (h) => (h === 'localhost' ? ['127.0.0.1'] : []));
    expect(await poller.pollNow('first')).toEqual({ ok: true, generation: 1 });
    const first = store.snapshot;
    const firstLoaded = store.loadedAtOf('mesos') ?? 0;

    expect(await poller.pollNow('same')).toEqual({ ok: true, generation: 1 });
    expect(store.snapshot).toBe(first);
    expect(installed).toEqual([1]);
    expect(store.loadedAtOf('mesos')).toBeGreaterThan(firstLoaded);
    expect(poller.counters).toMatchObject({ polls: 2, unchanged: 1, failures: 0 });

    const changed = freshState();
    changed.hostname = 'another-master';
    m.behaviour = { kind: 'state', body: changed };
    expect(await poller.pollNow('changed')).toEqual({ ok: true, generation: 2 });
    expect(installed).toEqual([1, 2]);
    expect(poller.counters).toMatchObject({ polls: 3, unchanged: 1 });
    expect(m.requests).toBe(3);
  });

  it('rebuilds the same body when a host name in it now resolves to other addresses', async () => {
    const m = await master(freshState());
    let localhost = ['127.0.0.1'];
    const { poller, store, installed } = mesosPoller([`127.0.0.1:${m.port}`], async (h) => (h === 'localhost' ? localhost : []));
    await poller.pollNow('first');
    const ipsOf = () => store.snapshot.mesos?.frameworks.find((f) => f.name === 'no pid')?.ips;
    expect(ipsOf()).toEqual(['127.0.0.1']);
    localhost = ['127.0.0.9'];
    expect(await poller.pollNow('moved')).toEqual({ ok: true, generation: 2 });
    expect(ipsOf()).toEqual(['127.0.0.9']);
    expect(installed).toEqual([1, 2]);
    expect(await poller.pollNow('again')).toEqual({ ok: true, generation: 2 });
    expect(poller.counters.unchanged).toBe(1);
  });

  it('never confirms a body it rejected: the same bad body fails again, the good one after it is installed', async () => {
    const m = await master(freshState());
    const { poller, store } = mesosPoller([`127.0.0.1:${m.port}`], async () => []);
    await poller.pollNow('first');
    m.behaviour = { kind: 'state', body: { ...freshState(), frameworks: 5 } };
    for (const attempt of ['bad', 'bad again']) {
      const result = await poller.pollNow(attempt);
      expect(result.ok ? 'ok' : result.error.code).toBe('SWY_UPSTREAM_MALFORMED');
      expect(store.failureOf('mesos')?.code).toBe('SWY_UPSTREAM_MALFORMED');
    }
    m.behaviour = { kind: 'state', body: freshState() };
    // The accepted body again: confirmed, and the failure cleared.
    expect(await poller.pollNow('good')).toEqual({ ok: true, generation: 1 });
    expect(store.failureOf('mesos')).toBeNull();
  });

  it('recognises the state behind a leader redirect without parsing the leader’s answer again', async () => {
    const a = await master({ ...freshState(), leader: 'master@127.0.0.2:5050' });
    const leaderState = { ...freshState(), leader: `master@127.0.0.2:${a.port}` };
    const b = await master(leaderState, '127.0.0.2', a.port);
    const { poller, installed } = mesosPoller([`127.0.0.1:${a.port}`], async () => []);
    expect(await poller.pollNow('first')).toEqual({ ok: true, generation: 1 });
    expect(await poller.pollNow('second')).toEqual({ ok: true, generation: 1 });
    expect([a.requests, b.requests]).toEqual([2, 2]);
    expect(installed).toEqual([1]);
    expect(poller.counters.unchanged).toBe(1);
  });
});

describe('MarathonPoller and unchanged apps', () => {
  it('confirms the same apps without a new generation and installs changed ones', async () => {
    const fake = await FakeMarathon.start();
    stops.push(() => fake.close());
    const app = { id: '/web', instances: 1, labels: { HAPROXY_GROUP: 'external' }, tasks: [{ id: 'web.1', host: '127.0.0.1', ports: [31000], state: 'TASK_RUNNING' }] };
    fake.setApps({ apps: [app] });
    const store = new SnapshotStore();
    const installed: number[] = [];
    store.subscribe((s) => installed.push(s.generation));
    const poller = new MarathonPoller({
      source: new MarathonSource({ urls: [fake.url], timeoutMs: 2000, basicAuth: null }),
      store,
      logger,
      resolveHost: async () => [],
      events: null,
      minIntervalMs: 0,
      maxDelayMs: 0,
    });
    stops.push(() => poller.stop());
    expect(await poller.refresh('first')).toEqual({ ok: true, generation: 1 });
    expect(await poller.refresh('same')).toEqual({ ok: true, generation: 1 });
    expect(installed).toEqual([1]);
    expect(poller.counters).toMatchObject({ fetches: 2, unchanged: 1, failures: 0 });
    fake.setApps({ apps: [{ ...app, instances: 2 }] });
    expect(await poller.refresh('scaled')).toEqual({ ok: true, generation: 2 });
    expect(store.snapshot.marathon?.apps[0]?.instances).toBe(2);
    expect(installed).toEqual([1, 2]);
  });
});
