// MarathonEventStream against a fake Marathon /v2/events on 127.0.0.1 (SSE parsing, reconnects, backoff, idle timeout),
// and the Coalescer with fake timers (bursts, follow-ups, maxDelay, minInterval) plus one real-timer check.
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Coalescer } from '../../state-poller/coalescer.js';
import { MarathonEventStream, type MarathonEventStreamOptions } from '../../state-poller/marathon-events.js';
import { eventTypesIn, eventsUrl, nextBackoff, SseDataParser } from '../../state-poller/marathon-sse.js';

const sample = readFileSync(new URL('../fixtures/marathon-lb/synthetic/marathon-sse-events.txt', import.meta.url), 'utf8');

type Handler = (res: ServerResponse, index: number, req: IncomingMessage) => void;

/** A fake Marathon: each /v2/events request is answered by `handler`, which gets the request's index (0, 1, ...). */
class FakeMarathon {
  readonly requests: IncomingMessage[] = [];
  readonly open = new Set<ServerResponse>();
  handler: Handler = (res) => openStream(res);
  private readonly server: Server;

  constructor() {
    this.server = createServer((req, res) => {
      const index = this.requests.length;
      this.requests.push(req);
      this.open.add(res);
      res.on('close', () => this.open.delete(res));
      this.handler(res, index, req);
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('no address');
    return `http://127.0.0.1:${address.port}`;
  }

  connections(): Promise<number> {
    return new Promise((resolve, reject) => this.server.getConnections((error, count) => (error ? reject(error) : resolve(count))));
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

function openStream(res: ServerResponse, text = ''): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  res.flushHeaders();
  if (text !== '') res.write(text);
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function deadPort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  vi.useRealTimers();
  while (cleanups.length > 0) await cleanups.pop()?.();
});

async function fakeMarathon(): Promise<{ fake: FakeMarathon; base: string }> {
  const fake = new FakeMarathon();
  const base = await fake.listen();
  cleanups.push(() => fake.close());
  return { fake, base };
}

function stream(options: Partial<MarathonEventStreamOptions> & Pick<MarathonEventStreamOptions, 'baseUrls'>) {
  const events: string[] = [];
  const connected: string[] = [];
  const client = new MarathonEventStream({
    onEvent: (type) => events.push(type),
    onConnected: (base) => connected.push(base),
    initialBackoffMs: 20,
    maxBackoffMs: 200,
    idleTimeoutMs: 5_000,
    random: () => 1,
    ...options,
  });
  cleanups.push(() => client.stop());
  client.start();
  return { client, events, connected };
}

describe('SSE parsing (pure)', () => {
  it('splits the sample stream into its data payloads', () => {
    const parser = new SseDataParser();
    // Fed in awkward pieces: the payloads must not depend on where the chunks were cut.
    const payloads = [...sample].reduce<string[]>((found, _char, i, all) => (i % 7 === 0 ? [...found, ...parser.push(all.slice(i, i + 7).join(''))] : found), []);
    expect(payloads.map((payload) => eventTypesIn(payload).eventTypes[0])).toEqual([
      'event_stream_attached',
      'deployment_success',
      'status_update_event',
      'health_status_changed_event',
      'api_post_event',
    ]);
  });

  it('counts documents that are not JSON objects with an eventType', () => {
    expect(eventTypesIn('{"eventType":"a"}\r\n{"eventType":"b"}\r\n')).toEqual({ eventTypes: ['a', 'b'], malformed: 0 });
    expect(eventTypesIn('nope\r\n[1]\r\n{"x":1}\r\n{"eventType":"c"}')).toEqual({ eventTypes: ['c'], malformed: 3 });
  });

  it('builds the marathon-lb URL and backoff', () => {
    expect(eventsUrl('http://m:8080/')).toBe(
      'http://m:8080/v2/events?plan-format=light&event_type=api_post_event&event_type=health_status_changed_event&event_type=status_update_event',
    );
    expect(nextBackoff(3_000, 3_000, 300_000)).toBe(4_500);
    expect(nextBackoff(250_000, 3_000, 300_000)).toBe(300_000);
  });
});

describe('MarathonEventStream', () => {
  it('subscribes like marathon-lb and reports only the subscribed events of the sample stream', async () => {
    const { fake, base } = await fakeMarathon();
    fake.handler = (res) => openStream(res, sample);
    const { client, events, connected } = stream({ baseUrls: [base], basicAuth: 'user:secret' });
    await waitFor(() => events.length === 3, 'three events');
    expect(events).toEqual(['status_update_event', 'health_status_changed_event', 'api_post_event']);
    expect(connected).toEqual([base]);
    expect(client.counters).toMatchObject({ events: 3, ignored: 2, malformed: 0, connections: 1, reconnects: 0 });
    const req = fake.requests[0];
    expect(req?.url).toBe('/v2/events?plan-format=light&event_type=api_post_event&event_type=health_status_changed_event&event_type=status_update_event');
    expect(req?.headers.accept).toBe('text/event-stream');
    expect(req?.headers.authorization).toBe(`Basic ${Buffer.from('user:secret').toString('base64')}`);
  });

  it('reads several JSON documents from one data payload', async () => {
    const { fake, base } = await fakeMarathon();
    const doc = (type: string) => JSON.stringify({ eventType: type, timestamp: '2024-02-01T00:00:00.000Z' });
    fake.handler = (res) =>
      openStream(res, `data: ${doc('api_post_event')}\r\n${doc('status_update_event')}\r\n\r\n` + `data: ${doc('health_status_changed_event')}\ndata: ${doc('api_post_event')}\n\n`);
    const { client, events } = stream({ baseUrls: [base] });
    await waitFor(() => events.length === 4, 'four events');
    expect(events).toEqual(['api_post_event', 'status_update_event', 'health_status_changed_event', 'api_post_event']);
    expect(client.counters.malformed).toBe(0);
  });

  it('counts and skips garbage data, comments and keep-alives without dropping the stream', async () => {
    const { fake, base } = await fakeMarathon();
    fake.handler = (res) => {
      openStream(res, ': a comment\n\n\n\r\ndata: not json at all\n\ndata: {"eventType":\n\ndata: {"noType":1}\n\nevent: status_update_event\n');
      // Sent in a later chunk, so garbage really was read first.
      setTimeout(() => res.write('data: {"eventType":"status_update_event"}\n\n'), 20);
    };
    const { client, events } = stream({ baseUrls: [base] });
    await waitFor(() => events.length === 1, 'the good event');
    expect(client.counters).toMatchObject({ events: 1, malformed: 3, connections: 1, reconnects: 0, failures: 0 });
  });

  it('reconnects after backoff when the stream closes, and calls onConnected again', async () => {
    const { fake, base } = await fakeMarathon();
    const times: number[] = [];
    fake.handler = (res, index) => {
      times.push(Date.now());
      openStream(res, 'data: {"eventType":"api_post_event"}\n\n');
      if (index === 0) setTimeout(() => res.end(), 10);
    };
    const { client, events, connected } = stream({ baseUrls: [base], initialBackoffMs: 80 });
    await waitFor(() => connected.length === 2, 'a second connection');
    expect(connected).toEqual([base, base]);
    expect(events).toEqual(['api_post_event', 'api_post_event']);
    expect(client.counters).toMatchObject({ reconnects: 1, failures: 1, connections: 2 });
    // random() is 1, so the sleep was the full initial wait.
    expect((times[1] ?? 0) - (times[0] ?? 0)).toBeGreaterThanOrEqual(75);
  });

  it('treats a non-200 answer as a failure and connects on the next try', async () => {
    const { fake, base } = await fakeMarathon();
    fake.handler = (res, index) => {
      if (index === 0) {
        res.writeHead(503, { 'content-type': 'text/plain' });
        res.end('not the leader yet');
      } else {
        openStream(res, 'data: {"eventType":"status_update_event"}\n\n');
      }
    };
    const { client, events, connected } = stream({ baseUrls: [base] });
    await waitFor(() => events.length === 1, 'an event after the 503');
    expect(connected).toEqual([base]);
    expect(client.counters).toMatchObject({ connections: 1, failures: 1, reconnects: 1 });
  });

  it('grows the backoff x1.5 per failure', async () => {
    const { fake, base } = await fakeMarathon();
    const times: number[] = [];
    fake.handler = (res) => {
      times.push(Date.now());
      res.writeHead(503);
      res.end();
    };
    stream({ baseUrls: [base], initialBackoffMs: 40, maxBackoffMs: 1_000 });
    await waitFor(() => times.length === 4, 'four attempts');
    const gaps = times.slice(1).map((t, i) => t - (times[i] ?? 0));
    // 40, 60, 90 ms (a little timer slack allowed below).
    expect(gaps[0]).toBeGreaterThanOrEqual(35);
    expect(gaps[1]).toBeGreaterThanOrEqual(55);
    expect(gaps[2]).toBeGreaterThanOrEqual(85);
  });

  it('reconnects at once, without backoff, when the stream goes silent', async () => {
    const { fake, base } = await fakeMarathon();
    fake.handler = (res) => openStream(res);
    // A backoff this long would fail the test: silence must skip it.
    const { client, connected } = stream({ baseUrls: [base], idleTimeoutMs: 150, initialBackoffMs: 60_000 });
    await waitFor(() => connected.length === 2, 'a reconnection after silence');
    expect(client.counters).toMatchObject({ idleTimeouts: 1, reconnects: 1, failures: 0 });
  });

  it('keep-alive bytes hold off the idle timeout', async () => {
    const { fake, base } = await fakeMarathon();
    fake.handler = (res) => {
      openStream(res);
      const beat = setInterval(() => res.write('\n'), 30);
      res.on('close', () => clearInterval(beat));
    };
    const { client, connected } = stream({ baseUrls: [base], idleTimeoutMs: 120 });
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(connected).toHaveLength(1);
    expect(client.counters.idleTimeouts).toBe(0);
  });

  it('tries the base URLs in order', async () => {
    const { base } = await fakeMarathon();
    const dead = `http://127.0.0.1:${await deadPort()}`;
    const { client, connected } = stream({ baseUrls: [dead, base] });
    await waitFor(() => connected.length === 1, 'a connection to the second URL');
    expect(connected).toEqual([base]);
    expect(client.counters.failures).toBe(0);
  });

  it('follows one redirect to the leader', async () => {
    const { fake, base } = await fakeMarathon();
    fake.handler = (res, _index, req) => {
      if (req.url?.startsWith('/v2/events')) {
        res.writeHead(307, { location: `${base}/leader${req.url}` });
        res.end();
      } else {
        openStream(res, 'data: {"eventType":"api_post_event"}\n\n');
      }
    };
    const { events } = stream({ baseUrls: [base], basicAuth: 'a:b' });
    await waitFor(() => events.length === 1, 'an event via the redirect');
    expect(fake.requests[1]?.url?.startsWith('/leader/v2/events?')).toBe(true);
    expect(fake.requests[1]?.headers.authorization).toBeDefined();
  });

  it('stop() cuts a backoff sleep short', async () => {
    const { fake, base } = await fakeMarathon();
    fake.handler = (res) => {
      res.writeHead(503);
      res.end();
    };
    const { client } = stream({ baseUrls: [base], initialBackoffMs: 60_000 });
    await waitFor(() => client.counters.failures === 1, 'the first failure');
    const started = Date.now();
    await client.stop();
    expect(Date.now() - started).toBeLessThan(500);
    expect(() => client.start()).toThrow(/stopped/);
  });

  it('stop() closes the connection and leaves no timers behind', async () => {
    const { fake, base } = await fakeMarathon();
    const { client, connected } = stream({ baseUrls: [base], idleTimeoutMs: 100 });
    await waitFor(() => connected.length === 1, 'a connection');
    await client.stop();
    await waitFor(() => fake.open.size === 0, 'the server to see the stream close');
    // Past the idle timeout: a leftover timer would have reconnected.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(connected).toHaveLength(1);
    expect(fake.requests).toHaveLength(1);
    expect(await fake.connections()).toBe(0);
  });
});

describe('Coalescer (fake timers)', () => {
  function setup(options: { minIntervalMs: number; maxDelayMs: number; settleMs?: number }) {
    vi.useFakeTimers();
    const starts: Array<{ at: number; reasons: string[] }> = [];
    let release: (() => void) | null = null;
    let hold = false;
    const coalescer = new Coalescer({
      ...options,
      run: (reasons) => {
        starts.push({ at: Date.now(), reasons });
        return hold ? new Promise<void>((resolve) => (release = resolve)) : Promise.resolve();
      },
    });
    cleanups.push(() => coalescer.stop());
    const t0 = Date.now();
    return {
      coalescer,
      starts,
      offsets: () => starts.map((start) => start.at - t0),
      holdRuns: (on: boolean) => (hold = on),
      finishRun: () => {
        const done = release;
        release = null;
        done?.();
      },
    };
  }

  it('collapses a burst of 50 triggers into one run', async () => {
    const { coalescer, starts } = setup({ minIntervalMs: 1_000, maxDelayMs: 5_000 });
    for (let i = 0; i < 50; i += 1) coalescer.trigger(i % 2 === 0 ? 'status_update_event' : 'api_post_event');
    await vi.advanceTimersByTimeAsync(10_000);
    expect(starts).toHaveLength(1);
    expect(starts[0]?.reasons).toEqual(['status_update_event', 'api_post_event']);
  });

  it('triggers during a run cause exactly one follow-up run', async () => {
    const { coalescer, starts, holdRuns, finishRun } = setup({ minIntervalMs: 100, maxDelayMs: 1_000 });
    holdRuns(true);
    coalescer.trigger('first');
    await vi.advanceTimersByTimeAsync(0);
    expect(starts).toHaveLength(1);
    expect(coalescer.busy).toBe(true);
    for (let i = 0; i < 20; i += 1) {
      coalescer.trigger(`during ${i}`);
      await vi.advanceTimersByTimeAsync(200);
    }
    // Never two at once, however long the run takes and however many triggers came meanwhile.
    expect(starts).toHaveLength(1);
    holdRuns(false);
    finishRun();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(starts).toHaveLength(2);
    expect(starts[1]?.reasons).toHaveLength(20);
  });

  it('runs within maxDelay of the first unserved trigger under a continuous trickle', async () => {
    const { coalescer, offsets } = setup({ minIntervalMs: 100, maxDelayMs: 1_000, settleMs: 300 });
    // One trigger every 50 ms for 5 s: the settle period never passes, so only maxDelay gets runs going.
    for (let t = 0; t < 5_000; t += 50) {
      coalescer.trigger('trickle');
      await vi.advanceTimersByTimeAsync(50);
    }
    await vi.advanceTimersByTimeAsync(2_000);
    const at = offsets();
    expect(at[0]).toBe(1_000);
    // Each later run serves a trigger that came 50 ms after the previous start.
    for (let i = 1; i < at.length - 1; i += 1) expect((at[i] ?? 0) - (at[i - 1] ?? 0)).toBeLessThanOrEqual(1_050);
    expect(at.length).toBeGreaterThanOrEqual(5);
    // The last triggers are served once the trickle stops, after the settle period.
    expect(at[at.length - 1]).toBeLessThanOrEqual(5_000 + 300);
  });

  it('starts runs no sooner than minInterval after the previous start', async () => {
    const { coalescer, offsets } = setup({ minIntervalMs: 1_000, maxDelayMs: 2_000 });
    coalescer.trigger('a');
    await vi.advanceTimersByTimeAsync(10);
    coalescer.trigger('b');
    await vi.advanceTimersByTimeAsync(3_000);
    coalescer.trigger('c');
    await vi.advanceTimersByTimeAsync(3_000);
    // A lone trigger after a quiet spell runs at once; one right after a run waits for the interval.
    expect(offsets()).toEqual([0, 1_000, 3_010]);
  });

  it('rejects a minInterval longer than maxDelay, and stop() drops pending triggers', async () => {
    expect(() => new Coalescer({ minIntervalMs: 2, maxDelayMs: 1, run: async () => {} })).toThrow(RangeError);
    const { coalescer, starts } = setup({ minIntervalMs: 100, maxDelayMs: 500, settleMs: 50 });
    coalescer.trigger('x');
    await coalescer.stop();
    coalescer.trigger('y');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(starts).toHaveLength(0);
  });
});

describe('Coalescer (real timers)', () => {
  it('collapses bursts and spaces runs', async () => {
    const starts: number[] = [];
    const coalescer = new Coalescer({ minIntervalMs: 60, maxDelayMs: 200, run: async () => void starts.push(Date.now()) });
    cleanups.push(() => coalescer.stop());
    for (let i = 0; i < 10; i += 1) coalescer.trigger('burst');
    await waitFor(() => starts.length === 1, 'the first run');
    for (let i = 0; i < 10; i += 1) coalescer.trigger('again');
    await waitFor(() => starts.length === 2, 'the follow-up run');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(starts).toHaveLength(2);
    expect((starts[1] ?? 0) - (starts[0] ?? 0)).toBeGreaterThanOrEqual(55);
  });
});
