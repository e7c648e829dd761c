// Recognising an unchanged upstream state before parsing it: block prints, kept bodies and the collector (property
// tests), then MesosPoller and MarathonPoller over real loopback HTTP: the same body confirms the served state (no
// new generation, no listener call, its age reset), a changed body or a host that now resolves elsewhere installs
// anew, and a kept body that fails is forgotten.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { xxh3 } from '@node-rs/xxhash';
import { acceptedOf } from '../../state-poller/accepted.js';
import { BLOCK_BYTES, Body, BodyCollector, KnownBody, type Fetched } from '../../state-poller/body.js';
import { MarathonPoller } from '../../state-poller/marathon-poller.js';
import { FileSource } from '../../state-poller/file-source.js';
import { MarathonSource } from '../../state-poller/marathon-source.js';
import { MesosSource } from '../../state-poller/mesos-source.js';
import { MesosPoller } from '../../state-poller/poller.js';
import { SnapshotStore } from '../../state-poller/store.js';
import { splitHostPort } from '../../state-poller/upid.js';
import type { HostPort } from '../../state-poller/model.js';
import { FakeMarathon } from '../helpers/fake-marathon.js';
import { FakeMaster } from '../helpers/fake-master.js';
import { collectingLogger } from '../helpers/managed-haproxy-setup.js';

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

/** The oracle: the one-shot XXH3 (64 bits, seed 0) of each BLOCK_BYTES slice. */
const blockPrints = (bytes: Buffer): bigint[] => Array.from({ length: Math.ceil(bytes.length / BLOCK_BYTES) }, (_, i) => xxh3.xxh64(bytes.subarray(i * BLOCK_BYTES, (i + 1) * BLOCK_BYTES)));

/** 2.5 blocks of JSON-like text, so that cuts, changes and lengths fall on, before and after block ends. */
const base = Buffer.from(Array.from({ length: 90_000 }, (_, i) => `{"id":"task-${i}","port":${31000 + (i % 977)}},`).join('').slice(0, BLOCK_BYTES * 2.5));
/** A place in `base`: anywhere, or within a few bytes of a block end (where it is hard). */
const place = fc.oneof(fc.nat({ max: base.length }), fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: -3, max: 3 })).map(([block, off]) => block * BLOCK_BYTES + off));
const cutsOf = fc.array(place, { maxLength: 6 });
/** The ways a body comes back: the same, one byte changed, cut short, or longer. */
const variant = fc.oneof(
  fc.constant({ kind: 'same' as const, at: 0 }),
  fc.record({ kind: fc.constantFrom('changed' as const, 'shorter' as const, 'longer' as const), at: place }),
);
function apply(v: { kind: 'same' | 'changed' | 'shorter' | 'longer'; at: number }): Buffer {
  const at = Math.min(v.at, base.length - 1);
  if (v.kind === 'same') return Buffer.from(base);
  if (v.kind === 'shorter') return Buffer.from(base.subarray(0, at));
  if (v.kind === 'longer') return Buffer.concat([base, Buffer.alloc(at % 5000 + 1, 0x20)]);
  const changed = Buffer.from(base);
  changed[at] = ((changed[at] ?? 0) + 1) & 0xff;
  return changed;
}

describe('Body prints', () => {
  it('are tested on a body of two and a half blocks', () => {
    expect(base.length).toBe(BLOCK_BYTES * 2.5);
  });

  it('are the XXH3 of each block, whatever the chunk boundaries', async () => {
    await fc.assert(
      fc.asyncProperty(cutsOf, variant, async (cuts, v) => {
        const bytes = apply(v);
        expect(split(bytes, cuts).prints).toEqual(blockPrints(bytes));
        expect(split(bytes, cuts).text()).toBe(bytes.toString('utf8'));
      }),
      { numRuns: 40 },
    );
  });

  it('release only an owned body: its buffer is detached and its text can no longer be read', async () => {
    const lent = Body.of(Buffer.from('{"a":1}'));
    lent.release();
    expect(lent.text()).toBe('{"a":1}');
    const owned = await (await KnownBody.of(Body.of(base))).body();
    const buffer = owned.chunks[0]?.buffer;
    // A block of its own, of exactly the body's size (never a share of Buffer's pool, which release would break).
    expect(buffer?.byteLength).toBe(base.length);
    owned.release();
    expect(buffer?.byteLength).toBe(0);
    expect(() => owned.text()).toThrow(/released/);
    owned.release();
  });

  it('are none for an empty body, and XXH3-64 as xxHash defines it', () => {
    expect(Body.of(Buffer.alloc(0)).prints).toEqual([]);
    // xxHash's value for the empty input, through the streaming hasher the bodies use (fixes the algorithm and seed).
    expect(xxh3.Xxh3.withSeed().digest()).toBe(0x2d06800538d394c2n);
    expect(split(Buffer.from('abc'), [1, 2]).prints).toEqual([xxh3.xxh64(Buffer.from('abc'))]);
  });
});

describe('KnownBody', () => {
  it('gives the whole body back, and matches exactly the same bytes', async () => {
    const known = await KnownBody.of(split(base, [5, BLOCK_BYTES, BLOCK_BYTES + 7]));
    const again = await known.body();
    expect(Buffer.concat(again.chunks as Buffer[]).equals(base)).toBe(true);
    expect(again.prints).toEqual(blockPrints(base));
    expect(known.matches(Body.of(base))).toBe(true);
    for (const kind of ['changed', 'shorter', 'longer'] as const) expect(known.matches(Body.of(apply({ kind, at: BLOCK_BYTES + 1 })))).toBe(false);
    expect((await KnownBody.of(Body.of(Buffer.alloc(0)))).matches(Body.of(Buffer.alloc(0)))).toBe(true);
  });

  it('made after another, takes its compressed blocks where the prints agree and still gives back its own bytes', async () => {
    const before = await KnownBody.of(Body.of(base));
    await fc.assert(
      fc.asyncProperty(variant, cutsOf, async (v, cuts) => {
        const bytes = apply(v);
        const after = await KnownBody.of(split(bytes, cuts), before);
        expect(Buffer.concat((await after.body()).chunks as Buffer[]).equals(bytes)).toBe(true);
        expect(after.matches(Body.of(bytes))).toBe(true);
      }),
      { numRuns: 25 },
    );
  });
});

describe('BodyCollector', () => {
  /** Feeds `incoming` cut at `cuts` to a collector that knows `known`, told the body's size as `hint` says. */
  const collect = async (known: KnownBody | null, incoming: Buffer, cuts: readonly number[], hint: Hint = 'none') => {
    const sizes = { none: 0, exact: incoming.length, short: Math.floor(incoming.length / 3), long: incoming.length + 4097 };
    const collector = new BodyCollector(known, sizes[hint]);
    for (const chunk of split(incoming, cuts).chunks) collector.push(Buffer.from(chunk));
    return collector.finish();
  };
  type Hint = 'none' | 'exact' | 'short' | 'long';
  /** No size told, the right one, or a wrong one (the buffer must grow, or has room to spare). */
  const hintOf = fc.constantFrom<Hint>('none', 'exact', 'short', 'long');

  it('says unchanged exactly for the known bytes, and otherwise gives back every byte received', async () => {
    const known = await KnownBody.of(Body.of(base));
    await fc.assert(
      fc.asyncProperty(variant, cutsOf, hintOf, async (v, cuts, hint) => {
        const incoming = apply(v);
        const got = await collect(known, incoming, cuts, hint);
        expect(got.unchanged).toBe(incoming.equals(base));
        if (!got.unchanged) {
          // The part that matched was dropped as it arrived and comes back from the known body's compressed blocks.
          expect(got.body.chunks).toHaveLength(1);
          expect(got.body.chunks[0]?.equals(incoming)).toBe(true);
          expect(got.body.prints).toEqual(blockPrints(incoming));
        }
        const unknown = await collect(null, incoming, cuts, hint);
        expect(unknown.unchanged ? null : Buffer.concat(unknown.body.chunks as Buffer[]).equals(incoming)).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it('handles a known body of whole blocks, bodies that are its first blocks, and bodies that go past it', async () => {
    const whole = base.subarray(0, 2 * BLOCK_BYTES);
    const known = await KnownBody.of(Body.of(whole));
    const cuts = [BLOCK_BYTES - 1, BLOCK_BYTES, BLOCK_BYTES + 1];
    expect((await collect(known, Buffer.from(whole), cuts)).unchanged).toBe(true);
    for (const incoming of [whole.subarray(0, BLOCK_BYTES), whole.subarray(0, BLOCK_BYTES + 1), Buffer.concat([whole, Buffer.from('x')]), base]) {
      const got = await collect(known, Buffer.from(incoming), cuts);
      expect(got.unchanged ? null : Buffer.concat(got.body.chunks as Buffer[]).equals(incoming)).toBe(true);
    }
  });

  it('copies a changed body into one buffer of the size it was told, apart from the chunks it was given', async () => {
    const changed = Buffer.from(base);
    changed[BLOCK_BYTES + 5] = 0x21;
    const got = await collect(await KnownBody.of(Body.of(base)), changed, [100, BLOCK_BYTES + 3, 2 * BLOCK_BYTES], 'exact');
    const body = got.unchanged ? null : got.body.chunks[0];
    expect(body?.equals(changed)).toBe(true);
    // Its own allocation, of exactly that size: no chunk received (nor the zlib output of the first block) is a part of it.
    expect(body?.byteOffset).toBe(0);
    expect(body?.buffer.byteLength).toBe(changed.length);
  });

  it('without a size told, grows its buffer by doubling and gives back each buffer it grew out of', async () => {
    const made: Buffer[] = [];
    const allocate = Buffer.allocUnsafeSlow.bind(Buffer);
    const spy = vi.spyOn(Buffer, 'allocUnsafeSlow').mockImplementation((size: number) => {
      const buffer = allocate(size);
      made.push(buffer);
      return buffer;
    });
    try {
      const got = await collect(null, base, [1000, BLOCK_BYTES + 1, 2 * BLOCK_BYTES + 2], 'none');
      expect(got.unchanged ? null : got.body.chunks[0]?.equals(base)).toBe(true);
      // 1 MiB, then 2, then 4 (2.5 blocks); all but the last released, the last kept by the body.
      expect(made.map((b) => b.buffer.byteLength)).toEqual([0, 0, 4 * BLOCK_BYTES]);
    } finally {
      spy.mockRestore();
    }
  });

  it('handles bodies shorter than a block, and empty ones', async () => {
    const small = Buffer.from('{"frameworks":[]}');
    const known = await KnownBody.of(Body.of(small));
    expect((await collect(known, small, [3, 9])).unchanged).toBe(true);
    const other = await collect(known, Buffer.from('{"frameworks":[1]}'), [3]);
    expect(other.unchanged ? '' : other.body.text()).toBe('{"frameworks":[1]}');
    const empty = await collect(known, Buffer.alloc(0), []);
    expect(empty.unchanged ? null : empty.body.length).toBe(0);
    expect((await collect(await KnownBody.of(Body.of(Buffer.alloc(0))), Buffer.alloc(0), [])).unchanged).toBe(true);
  });
});

/** A KnownBody whose first compressed block is damaged (as memory going bad would leave it). */
async function damagedCopy(bytes: Buffer): Promise<KnownBody> {
  const known = await KnownBody.of(Body.of(bytes));
  (known as unknown as { packed: Buffer[] }).packed[0] = Buffer.from('not brotli');
  return known;
}

/** A body that cannot be kept: reading its chunks throws, as a failing compression would. */
function unkeepable(): Body {
  const body = Object.create(Body.prototype) as Body;
  Object.defineProperty(body, 'chunks', { get: () => { throw new Error('no memory'); } });
  return body;
}

describe('a kept body that fails', () => {
  it('is marked damaged when a block does not decompress, and the collector says so', async () => {
    const known = await damagedCopy(base);
    const changed = Buffer.from(base);
    changed[2 * BLOCK_BYTES] = 0x21;
    const collector = new BodyCollector(known);
    collector.push(changed);
    await expect(collector.finish()).rejects.toThrow();
    expect(known.damaged).toBe(true);
  });

  it('that cannot be compressed is not remembered, and the warning says why', async () => {
    const { logger: warnings, lines } = collectingLogger();
    expect(await acceptedOf(unkeepable(), null, new Map(), warnings)).toBeNull();
    expect(String(lines[0]?.err)).toContain('no memory');
    const kept = await KnownBody.of(Body.of(Buffer.from('{}')));
    expect((await acceptedOf(kept, null, new Map(), warnings))?.known).toBe(kept);
  });

  it('makes the poller start from nothing: never a stale body confirmed as the state served', async () => {
    // A source that serves A, then B whose body cannot be kept, then A again, then a kept A that turns out damaged.
    // Each a different state (the leader differs), not only a different body.
    const doc = (hostname: string): Record<string, unknown> => ({ ...freshState(), hostname, leader: `master@127.0.0.${hostname === 'a' ? 1 : 2}:5050` });
    const knownSeen: (KnownBody | null)[] = [];
    let damage: KnownBody | null = null;
    const steps: ((known: KnownBody | null) => Promise<Fetched>)[] = [
      async () => ({ from: 'a', unchanged: false, body: Body.of(Buffer.from(JSON.stringify(doc('a')))), doc: doc('a') }),
      async () => ({ from: 'b', unchanged: false, body: unkeepable(), doc: doc('b') }),
      async () => ({ from: 'a', unchanged: false, body: Body.of(Buffer.from(JSON.stringify(doc('a')))), doc: doc('a') }),
      async (known) => {
        damage = known;
        (known as unknown as { damaged: boolean }).damaged = true;
        throw new Error('cannot decompress');
      },
      async () => ({ from: 'a', unchanged: false, body: Body.of(Buffer.from(JSON.stringify(doc('a')))), doc: doc('a') }),
    ];
    const source = {
      fetch: async (known: KnownBody | null): Promise<Fetched> => {
        knownSeen.push(known);
        const step = steps[knownSeen.length - 1];
        if (step === undefined) throw new Error('no more steps');
        return step(known);
      },
    };
    const store = new SnapshotStore();
    const poller = new MesosPoller({ source, store, refreshMs: 60_000, logger, resolveHost: async () => [] });
    stops.push(() => poller.stop());
    for (const reason of ['a', 'b', 'a again', 'damaged', 'after']) await poller.pollNow(reason);
    // B was served but not kept: the next poll had nothing to compare with, so A was parsed and served again.
    expect(knownSeen[0]).toBeNull();
    expect(knownSeen[1]).not.toBeNull();
    expect(knownSeen[2]).toBeNull();
    expect(knownSeen[3]).not.toBeNull();
    expect(damage).toBe(knownSeen[3]);
    expect(knownSeen[4]).toBeNull();
    // The last A was parsed afresh (nothing kept to compare with) and found to be the state served: confirmed.
    expect(store.snapshot.generation).toBe(3);
    expect(poller.counters).toMatchObject({ polls: 5, unchanged: 0, sameState: 1, failures: 1 });
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

    // A new body with the same state (the master's own host name is not part of it): parsed, compared, and confirmed.
    const sameState = freshState();
    sameState.hostname = 'another-master';
    m.behaviour = { kind: 'state', body: sameState };
    expect(await poller.pollNow('same state')).toEqual({ ok: true, generation: 1 });
    expect(store.snapshot).toBe(first);
    expect(installed).toEqual([1]);
    expect(poller.counters).toMatchObject({ polls: 3, unchanged: 1, sameState: 1 });
    // That body is the one kept now: brought again, it is recognised before parsing.
    expect(await poller.pollNow('same body again')).toEqual({ ok: true, generation: 1 });
    expect(poller.counters).toMatchObject({ polls: 4, unchanged: 2, sameState: 1 });

    const changed = freshState();
    (changed.frameworks as { name: string }[])[0] = { ...(changed.frameworks as { name: string }[])[0], name: 'renamed' } as { name: string };
    m.behaviour = { kind: 'state', body: changed };
    expect(await poller.pollNow('changed')).toEqual({ ok: true, generation: 2 });
    expect(installed).toEqual([1, 2]);
    expect(store.snapshot.mesos?.frameworks.map((f) => f.name)).toContain('renamed');
    expect(poller.counters).toMatchObject({ polls: 5, unchanged: 2, sameState: 1 });
    expect(m.requests).toBe(5);
  });

  it('keeps the state object when only the diagnostics change, so that nothing downstream rebuilds', async () => {
    const m = await master(freshState());
    const { poller, store, installed } = mesosPoller([`127.0.0.1:${m.port}`], async (h) => (h === 'localhost' ? ['127.0.0.1'] : []));
    await poller.pollNow('first');
    const state = store.snapshot.mesos;
    const withBadTask = freshState();
    const frameworks = withBadTask.frameworks as { tasks: unknown[] }[];
    // A task that is not an object: skipped with a diagnostic, the state otherwise the same.
    frameworks[0] = { ...frameworks[0], tasks: [...(frameworks[0]?.tasks ?? []), 'not a task'] } as { tasks: unknown[] };
    m.behaviour = { kind: 'state', body: withBadTask };
    expect(await poller.pollNow('bad task')).toEqual({ ok: true, generation: 2 });
    expect(installed).toEqual([1, 2]);
    expect(store.snapshot.mesos).toBe(state);
    expect(store.snapshot.diagnostics.length).toBeGreaterThan(0);
    expect(poller.counters).toMatchObject({ sameState: 0 });
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

  it('gives back the memory of each body it parsed, once kept, and on failure too; an unchanged poll has none', async () => {
    const release = vi.spyOn(Body.prototype, 'release');
    try {
      const m = await master(freshState());
      let localhost = ['127.0.0.1'];
      const { poller } = mesosPoller([`127.0.0.1:${m.port}`], async (h) => (h === 'localhost' ? localhost : []));
      const releasedSince = (() => {
        let seen = 0;
        return (): Body[] => {
          const bodies = release.mock.contexts.slice(seen) as Body[];
          seen = release.mock.contexts.length;
          return bodies;
        };
      })();
      const expectReleased = (count: number): void => {
        const bodies = releasedSince();
        expect(bodies).toHaveLength(count);
        // Detached: the body's buffer is empty now, its memory handed to a young object for the next scavenge.
        for (const body of bodies) expect(body.chunks.map((c) => c.length)).toEqual([0]);
      };
      await poller.pollNow('first');
      expectReleased(1);
      expect(await poller.pollNow('same')).toEqual({ ok: true, generation: 1 });
      expectReleased(0);
      localhost = ['127.0.0.9']; // the kept body decompressed and parsed again
      expect(await poller.pollNow('moved')).toEqual({ ok: true, generation: 2 });
      expectReleased(1);
      m.behaviour = { kind: 'state', body: { ...freshState(), frameworks: 5 } };
      expect((await poller.pollNow('bad')).ok).toBe(false);
      expectReleased(1);
      // Not JSON: the source gives up on it before the poller sees it, and releases it itself.
      m.behaviour = { kind: 'raw', body: `${stateText.slice(0, 5000)} and then not JSON` };
      const notJson = await poller.pollNow('not json');
      expect(notJson.ok ? 'ok' : notJson.error.code).toBe('SWY_UPSTREAM_MALFORMED');
      expectReleased(1);
      // What was kept is a compressed copy, not the released buffer: the same state is still recognised.
      m.behaviour = { kind: 'state', body: freshState() };
      expect(await poller.pollNow('good')).toEqual({ ok: true, generation: 2 });
      expectReleased(0);
    } finally {
      release.mockRestore();
    }
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

  it.each(['Marathon', 'a pretty-printed apps file'])('rebuilds from the kept body when a host moves, and every app keeps its object (%s)', async (kind) => {
    // Large enough to be parsed in slices (so MarathonSource keys its apps by their text), with a host to resolve.
    const apps = Array.from({ length: 600 }, (_, i) => ({ id: `/app-${i}`, labels: {}, tasks: [{ id: `app-${i}.1`, host: 'agent.test', ports: [31000 + i], state: 'TASK_RUNNING' }] }));
    let source: MarathonSource | FileSource;
    if (kind === 'Marathon') {
      const fake = await FakeMarathon.start();
      stops.push(() => fake.close());
      // Indented, so that a key of the app's text and a key of the app serialized again differ.
      fake.setRaw(200, JSON.stringify({ apps }, null, 2));
      source = new MarathonSource({ urls: [fake.url], timeoutMs: 2000, basicAuth: null });
    } else {
      const dir = mkdtempSync(join(tmpdir(), 'switchyard-apps-'));
      stops.push(async () => rmSync(dir, { recursive: true, force: true }));
      const path = join(dir, 'apps.json');
      writeFileSync(path, JSON.stringify({ apps }, null, 2));
      source = new FileSource(path);
    }
    let agent = ['10.9.0.1'];
    const store = new SnapshotStore();
    const poller = new MarathonPoller({ source, store, logger, resolveHost: async () => agent, events: null, minIntervalMs: 0, maxDelayMs: 0 });
    stops.push(() => poller.stop());
    expect(await poller.refresh('first')).toEqual({ ok: true, generation: 1 });
    const before = store.snapshot.marathon?.apps ?? [];
    expect(before).toHaveLength(600);
    agent = ['10.9.0.2'];
    expect(await poller.refresh('moved')).toEqual({ ok: true, generation: 2 });
    expect(store.snapshot.marathon?.hosts['agent.test']).toEqual(['10.9.0.2']);
    const after = store.snapshot.marathon?.apps ?? [];
    expect(after.filter((app, i) => app !== before[i])).toEqual([]);
    expect(await poller.refresh('again')).toEqual({ ok: true, generation: 2 });
  });
});
