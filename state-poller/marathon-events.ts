// Follows Marathon's /v2/events server-sent-event stream and reports which subscribed events arrive, as marathon-lb does.
// I/O shell (network, timers, reconnect with backoff); the SSE parsing itself is pure, in marathon-sse.ts.
import { Agent, request, type Dispatcher } from 'undici';
import type { Logger } from 'pino';
import { eventsUrl, eventTypesIn, nextBackoff, SseDataParser, MARATHON_LB_EVENT_TYPES } from './marathon-sse.js';

export interface MarathonEventStreamOptions {
  /** Marathon base URLs (http://host:8080), tried in order on every (re)connection. */
  readonly baseUrls: readonly string[];
  /** "user:secret" for HTTP basic auth, or null. */
  readonly basicAuth?: string | null;
  /** Called for each received event whose eventType is subscribed. */
  readonly onEvent: (eventType: string) => void;
  /** Called on each (re)connection, once Marathon answered 200; the caller does a full resync then. */
  readonly onConnected: (baseUrl: string) => void;
  readonly logger?: Logger;
  /** Defaults to MARATHON_LB_EVENT_TYPES. */
  readonly eventTypes?: readonly string[];
  /** First backoff wait (3000, as marathon-lb). */
  readonly initialBackoffMs?: number;
  /** Cap on the backoff wait (300 000, marathon-lb's --max-backoff default). */
  readonly maxBackoffMs?: number;
  /** A connection that lived longer than this resets the backoff (600 000). */
  readonly stableAfterMs?: number;
  /** No bytes for this long aborts the stream and reconnects at once (300 000, marathon-lb's low-speed limit). */
  readonly idleTimeoutMs?: number;
  /** Connect plus response headers, per base URL (10 000). */
  readonly connectTimeoutMs?: number;
  readonly random?: () => number;
  readonly now?: () => number;
  /** Defaults to a private undici Agent that stop() destroys, so no socket outlives the stream. */
  readonly dispatcher?: Dispatcher;
}

export interface MarathonEventCounters {
  /** Subscribed events passed to onEvent. */
  events: number;
  /** Well-formed events of types we did not subscribe to (event_stream_attached, ...). */
  ignored: number;
  /** JSON documents in data lines that could not be used. */
  malformed: number;
  /** Connections that answered 200 (onConnected calls). */
  connections: number;
  /** Connection attempts after the first one. */
  reconnects: number;
  /** Attempts or streams that failed (network error, non-200, stream end) and led to a backoff. */
  failures: number;
  /** Streams aborted for silence. */
  idleTimeouts: number;
}

type Outcome = { readonly kind: 'idle' | 'ended' | 'failed' | 'stopped'; readonly livedMs: number; readonly detail: string };

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

export class MarathonEventStream {
  readonly counters: MarathonEventCounters = { events: 0, ignored: 0, malformed: 0, connections: 0, reconnects: 0, failures: 0, idleTimeouts: 0 };
  private stopped = true;
  private closed = false;
  private loop: Promise<void> | null = null;
  private controller: AbortController | null = null;
  private wakeSleep: (() => void) | null = null;
  private readonly ownAgent: Agent | null;
  private readonly dispatcher: Dispatcher;
  private readonly subscribed: ReadonlySet<string>;
  private readonly now: () => number;

  constructor(private readonly options: MarathonEventStreamOptions) {
    if (options.baseUrls.length === 0) throw new RangeError('MarathonEventStream needs at least one base URL');
    this.ownAgent = options.dispatcher ? null : new Agent({ keepAliveTimeout: 1_000 });
    this.dispatcher = options.dispatcher ?? (this.ownAgent as Agent);
    this.subscribed = new Set(options.eventTypes ?? MARATHON_LB_EVENT_TYPES);
    this.now = options.now ?? (() => Date.now());
  }

  /** Connects and keeps reconnecting until stop(). A stopped stream cannot be started again (its agent is gone). */
  start(): void {
    if (this.closed) throw new Error('MarathonEventStream was stopped; create a new one');
    if (this.loop !== null) return;
    this.stopped = false;
    this.loop = this.run();
  }

  /** Ends the stream, any backoff sleep and the idle timer; closes the private agent. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.closed = true;
    this.controller?.abort(new Error('stopped'));
    this.wakeSleep?.();
    await this.loop;
    this.loop = null;
    await this.ownAgent?.destroy();
  }

  private async run(): Promise<void> {
    const initial = this.options.initialBackoffMs ?? 3_000;
    const max = this.options.maxBackoffMs ?? 300_000;
    const stableAfter = this.options.stableAfterMs ?? 600_000;
    const random = this.options.random ?? Math.random;
    let waitMs = initial;
    let first = true;
    while (!this.stopped) {
      if (!first) this.counters.reconnects += 1;
      first = false;
      const outcome = await this.connectOnce();
      if (this.stopped || outcome.kind === 'stopped') break;
      if (outcome.livedMs > stableAfter) waitMs = initial;
      if (outcome.kind === 'idle') {
        // Like curl's low-speed timeout in marathon-lb: the link is probably dead, so reconnect straight away.
        this.counters.idleTimeouts += 1;
        this.options.logger?.warn({ detail: outcome.detail }, 'marathon event stream went silent; reconnecting');
        continue;
      }
      this.counters.failures += 1;
      const sleepMs = random() * waitMs;
      this.options.logger?.warn({ detail: outcome.detail, sleepMs: Math.round(sleepMs) }, 'marathon event stream lost; reconnecting after backoff');
      waitMs = nextBackoff(waitMs, initial, max);
      await this.sleep(sleepMs);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wakeSleep = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeSleep = done;
    });
  }

  /** One connection: the first base URL that answers 200, read until it ends, fails, goes silent or we stop. */
  private async connectOnce(): Promise<Outcome> {
    const controller = new AbortController();
    this.controller = controller;
    const failures: string[] = [];
    try {
      for (const base of this.options.baseUrls) {
        if (this.stopped) return { kind: 'stopped', livedMs: 0, detail: 'stopped' };
        let body: Dispatcher.ResponseData['body'];
        try {
          body = await this.open(eventsUrl(base, [...this.subscribed]), controller.signal);
        } catch (error) {
          failures.push(`${base}: ${error instanceof Error ? error.message : String(error)}`);
          continue;
        }
        return await this.follow(base, body, controller);
      }
      return { kind: this.stopped ? 'stopped' : 'failed', livedMs: 0, detail: failures.join('; ') };
    } finally {
      this.controller = null;
    }
  }

  /** GET with SSE headers; follows one redirect (non-leader Marathons redirect to the leader), sending auth again. */
  private async open(url: string, signal: AbortSignal): Promise<Dispatcher.ResponseData['body']> {
    const headers: Record<string, string> = { accept: 'text/event-stream', 'cache-control': 'no-cache', 'user-agent': 'switchyard' };
    const auth = this.options.basicAuth ?? null;
    if (auth !== null) headers.authorization = `Basic ${Buffer.from(auth).toString('base64')}`;
    const timeout = this.options.connectTimeoutMs ?? 10_000;
    let target = url;
    for (let hop = 0; ; hop += 1) {
      // bodyTimeout is off: silence is measured by our own idle timer, which tells it apart from other failures.
      const response = await request(target, { method: 'GET', headers, signal, headersTimeout: timeout, bodyTimeout: 0, dispatcher: this.dispatcher });
      const location = response.headers.location;
      if (hop === 0 && REDIRECTS.has(response.statusCode) && typeof location === 'string') {
        await response.body.dump();
        target = new URL(location, target).toString();
        continue;
      }
      if (response.statusCode !== 200) {
        await response.body.dump();
        throw new Error(`HTTP ${response.statusCode}`);
      }
      return response.body;
    }
  }

  private async follow(base: string, body: Dispatcher.ResponseData['body'], controller: AbortController): Promise<Outcome> {
    const openedAt = this.now();
    const idleMs = this.options.idleTimeoutMs ?? 300_000;
    let idle: NodeJS.Timeout | null = null;
    let silent = false;
    const arm = (): void => {
      if (idle !== null) clearTimeout(idle);
      idle = setTimeout(() => {
        silent = true;
        controller.abort(new Error(`no data for ${idleMs} ms`));
      }, idleMs);
    };
    this.counters.connections += 1;
    this.options.logger?.info({ base }, 'marathon event stream connected');
    this.call(() => this.options.onConnected(base));
    const parser = new SseDataParser();
    const decoder = new TextDecoder();
    try {
      arm();
      for await (const chunk of body as AsyncIterable<Buffer>) {
        // Any byte counts as life, keep-alive newlines included (curl's low-speed limit counts bytes too).
        arm();
        for (const payload of parser.push(decoder.decode(chunk, { stream: true }))) this.handle(payload);
        if (this.stopped) break;
      }
      const livedMs = this.now() - openedAt;
      return { kind: this.stopped ? 'stopped' : 'ended', livedMs, detail: `${base}: stream ended` };
    } catch (error) {
      const livedMs = this.now() - openedAt;
      if (this.stopped) return { kind: 'stopped', livedMs, detail: 'stopped' };
      if (silent) return { kind: 'idle', livedMs, detail: `${base}: no data for ${idleMs} ms` };
      return { kind: 'failed', livedMs, detail: `${base}: ${error instanceof Error ? error.message : String(error)}` };
    } finally {
      if (idle !== null) clearTimeout(idle);
      if (!body.destroyed) body.destroy();
    }
  }

  private handle(payload: string): void {
    const found = eventTypesIn(payload);
    if (found.malformed > 0) {
      this.counters.malformed += found.malformed;
      this.options.logger?.warn({ malformed: found.malformed, payload: payload.slice(0, 200) }, 'ignored malformed marathon event data');
    }
    for (const eventType of found.eventTypes) {
      if (!this.subscribed.has(eventType)) {
        this.counters.ignored += 1;
        this.options.logger?.debug({ eventType }, 'ignored marathon event');
        continue;
      }
      this.counters.events += 1;
      this.call(() => this.options.onEvent(eventType));
    }
  }

  /** A throwing callback must not tear the stream down. */
  private call(callback: () => void): void {
    try {
      callback();
    } catch (error) {
      this.options.logger?.error({ err: error instanceof Error ? error.message : String(error) }, 'marathon event callback failed');
    }
  }
}
