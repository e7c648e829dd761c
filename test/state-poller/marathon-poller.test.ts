// MarathonPoller against FakeMarathon over real loopback HTTP with real (short) timers: first load, event bursts
// coalesced, reconnect → resync, periodic resync with no events, and stop() leaving nothing running.
import { readFileSync } from 'node:fs';
import { pino, type Logger } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { normalizeMarathon } from '../../state-poller/marathon-normalize.js';
import { MarathonPoller, type MarathonPollerOptions } from '../../state-poller/marathon-poller.js';
import { MarathonSource } from '../../state-poller/marathon-source.js';
import type { Snapshot } from '../../state-poller/model.js';
import { SnapshotStore } from '../../state-poller/store.js';
import { FakeMarathon } from '../helpers/fake-marathon.js';

const fixture = (path: string): unknown => JSON.parse(readFileSync(new URL(`../fixtures/marathon-lb/${path}`, import.meta.url), 'utf8'));
const synthetic = fixture('synthetic/fake-marathon-apps.json');
const zdd = fixture('upstream/tests/zdd_apps.json');
const marathon15 = fixture('upstream/tests/marathon15_apps.json');

const appIds = (snapshot: Snapshot): string[] => (snapshot.marathon?.apps ?? []).map((app) => app.id);
const idsOf = (doc: unknown): string[] => {
  const result = normalizeMarathon(doc);
  if (!result.ok) throw new Error(result.message);
  return result.state.apps.map((app) => app.id);
};

async function waitFor(what: string, check: () => boolean, timeoutMs = 2_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A debug logger whose lines the test can read. */
function capture(): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
  return { logger, lines };
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

type Setup = Partial<Omit<MarathonPollerOptions, 'source' | 'store' | 'logger'>> & { readonly withEvents?: boolean };

async function setup(options: Setup = {}) {
  const fake = await FakeMarathon.start();
  cleanups.push(() => fake.close());
  fake.setApps(synthetic);
  const store = new SnapshotStore();
  const { logger, lines } = capture();
  const { withEvents = true, ...rest } = options;
  const poller = new MarathonPoller({
    source: new MarathonSource({ urls: [fake.url], timeoutMs: 2_000, basicAuth: null }),
    store,
    logger,
    resyncMs: 60_000,
    minIntervalMs: 50,
    maxDelayMs: 200,
    events: withEvents ? { baseUrls: [fake.url], initialBackoffMs: 20, maxBackoffMs: 50, random: () => 0.5 } : null,
    ...rest,
  });
  cleanups.push(() => poller.stop());
  return { fake, store, poller, lines };
}

/** Starts the poller and waits for the first load and, with events, for the connection's resync to be in too. */
async function started(options: Setup = {}) {
  const ctx = await setup(options);
  ctx.poller.start();
  const fetches = options.withEvents === false ? 1 : 2;
  // The resync on connect brings the same apps: recognised as unchanged, so it makes no second generation.
  await waitFor('the first load (and the resync on connect)', () => ctx.store.snapshot.generation === 1 && ctx.poller.counters.unchanged === fetches - 1 && ctx.fake.appsRequests === fetches);
  return ctx;
}

const loadedReasons = (lines: Array<Record<string, unknown>>): string[] =>
  lines.filter((line) => line.msg === 'marathon apps loaded').map((line) => String(line.reason));

describe('MarathonPoller', () => {
  it('first load: start() fetches, the stream connects with marathon-lb’s filter, and its connection resyncs once', async () => {
    const { fake, store, poller } = await started();
    expect(appIds(store.snapshot)).toEqual(idsOf(synthetic));
    expect(store.snapshot.mesos).toBeNull();
    expect(store.snapshot.marathon?.hosts).toEqual({});
    expect(store.snapshot.diagnostics).toEqual([]);
    expect(store.failureOf('marathon')).toBeNull();
    expect(fake.lastEventsQuery).toBe('plan-format=light&event_type=api_post_event&event_type=health_status_changed_event&event_type=status_update_event');
    expect([fake.eventConnections, fake.openStreams]).toEqual([1, 1]);
    await sleep(100);
    expect(fake.appsRequests).toBe(2);
    expect(poller.counters).toEqual({ lastDurationMs: expect.any(Number), fetches: 2, failures: 0, unchanged: 1, events: 0, coalescedRuns: 0, resyncs: 1, streamConnections: 1 });
  });

  it('a burst of 50 status_update_events becomes at most 3 fetches, and the last one sees the final apps', async () => {
    const { fake, store, poller, lines } = await started({ minIntervalMs: 100, maxDelayMs: 300, settleMs: 20 });
    const before = fake.appsRequests;
    for (let i = 0; i < 50; i += 1) {
      if (i === 25) fake.setApps(zdd);
      fake.sendEvent('status_update_event', { appId: '/nginx-green', taskId: `nginx-green.${i}`, taskStatus: 'TASK_RUNNING' });
    }
    await waitFor('the final apps', () => appIds(store.snapshot).join() === idsOf(zdd).join());
    // Long enough for any (wrong) further runs: past maxDelay plus minInterval.
    await sleep(450);
    const fetched = fake.appsRequests - before;
    expect(fetched).toBeGreaterThanOrEqual(1);
    expect(fetched).toBeLessThanOrEqual(3);
    expect(poller.counters.events).toBe(50);
    expect(poller.counters.coalescedRuns).toBe(fetched);
    // Each fetch's reason says which events it serves; together they account for all 50.
    const served = loadedReasons(lines).flatMap((reason) => [...reason.matchAll(/status_update_event x(\d+)/g)].map((m) => Number(m[1])));
    expect(served.reduce((a, b) => a + b, 0)).toBe(50);
  });

  it('events that never pause are still served within maxDelay, spaced by minInterval', async () => {
    const { fake, poller } = await started({ minIntervalMs: 100, maxDelayMs: 150, settleMs: 60 });
    const before = fake.appsRequests;
    let duringBurst = 0;
    const start = performance.now();
    while (performance.now() - start < 500) {
      fake.sendEvent('health_status_changed_event', { appId: '/web/frontend', alive: true });
      await sleep(10);
      // settleMs is never reached during the burst, so any fetch here is maxDelay's doing.
      duringBurst = fake.appsRequests - before;
    }
    expect(poller.counters.events).toBeGreaterThan(20);
    expect(duringBurst).toBeGreaterThanOrEqual(2);
    // 500 ms at one run per 100 ms at most, plus the run that serves the tail.
    await sleep(250);
    expect(fake.appsRequests - before).toBeLessThanOrEqual(7);
  });

  it('a dropped stream reconnects, and the reconnection resyncs (an app changed without events is seen)', async () => {
    const { fake, store, poller } = await started();
    const before = fake.appsRequests;
    fake.setApps(marathon15);
    fake.dropStreams();
    await waitFor('the client to reconnect', () => fake.eventConnections === 2 && fake.openStreams === 1);
    await waitFor('the resync after reconnecting', () => appIds(store.snapshot).join() === '/pywebserver');
    expect(fake.appsRequests).toBe(before + 1);
    expect(poller.counters).toMatchObject({ resyncs: 2, streamConnections: 2, events: 0, coalescedRuns: 0 });
    expect(fake.lastEventsQuery).toContain('event_type=status_update_event');
  });

  it.each([
    ['with the event stream', true],
    ['without it', false],
  ] as const)('resyncs every resyncMs with no events (%s)', async (_label, withEvents) => {
    const { fake, store } = await started({ withEvents, resyncMs: 150 });
    const before = fake.appsRequests;
    const since = performance.now();
    fake.setApps(zdd);
    await waitFor('the first resync', () => appIds(store.snapshot).join() === idsOf(zdd).join());
    // The timer restarts after the last fetch, so this cannot come early.
    expect(performance.now() - since).toBeGreaterThanOrEqual(120);
    await waitFor('two more resyncs', () => fake.appsRequests >= before + 3);
    expect(performance.now() - since).toBeGreaterThanOrEqual(3 * 120);
    expect(store.failureOf('marathon')).toBeNull();
  });

  it('stop() ends the stream, timers and sockets: nothing is fetched, connected or scheduled afterwards', async () => {
    const sockets = (): number => process.getActiveResourcesInfo().filter((kind) => kind === 'TCPSocketWrap').length;
    // The forks pool gives this file its own process; wait for earlier tests' sockets to finish closing.
    await waitFor('earlier sockets to close', () => sockets() === 0);
    const baseline = 0;
    const { fake, poller, store } = await started({ resyncMs: 100, minIntervalMs: 200, maxDelayMs: 300 });
    fake.sendEvent('api_post_event', { uri: '/v2/apps/web/frontend' });
    await waitFor('the first coalesced run', () => poller.counters.coalescedRuns === 1);
    // This one waits out minInterval, so a coalesced run is pending at stop().
    fake.sendEvent('status_update_event');
    await waitFor('the second event', () => poller.counters.events === 2);
    expect(sockets()).toBeGreaterThan(baseline);
    await poller.stop();
await waitFor('every socket to close', () => sockets() === baseline && fake.openStreams === 0);
    expect((await poller.refresh('after stop')).ok).toBe(false);
    expect(store.failureOf('marathon')).toBeNull();
    const counters = poller.counters;
    const [requests, connections] = [fake.appsRequests, fake.eventConnections];
    fake.sendEvent('status_update_event');
    // Past resyncMs and the pending run's due time: neither may fire.
    await sleep(350);
    expect([fake.appsRequests, fake.eventConnections]).toEqual([requests, connections]);
    expect(poller.counters).toEqual(counters);
    expect(sockets()).toBe(baseline);
    expect(() => poller.start()).toThrow(/stopped/);
  });
});
