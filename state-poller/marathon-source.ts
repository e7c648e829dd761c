// Fetches GET /v2/apps?embed=apps.tasks from Marathon, trying the configured URLs in order (undici).
// I/O: network. The first URL that answers is asked first next time, as marathon-lb does.
import { Agent, type Dispatcher } from 'undici';
import { fetchedFrom, type Fetched, type ItemHookFor, type KnownBody } from './body.js';
import { firstThatAnswers, getBody, preferFirst } from './http-json.js';

export interface MarathonSourceOptions {
  /** Base URLs, e.g. "http://127.0.0.1:8080". */
  readonly urls: readonly string[];
  readonly timeoutMs: number;
  /** "user:secret" for HTTP basic auth, or null. */
  readonly basicAuth: string | null;
  /** Defaults to a private undici Agent that close() destroys, so no keep-alive socket outlives the poller. */
  readonly dispatcher?: Dispatcher;
}

export class MarathonSource {
  private preferred: string | null = null;
  private readonly ownAgent: Agent | null;
  private readonly dispatcher: Dispatcher;

  constructor(private readonly options: MarathonSourceOptions) {
    this.ownAgent = options.dispatcher ? null : new Agent();
    this.dispatcher = options.dispatcher ?? (this.ownAgent as Agent);
  }

  /**
   * `known` is what was kept of the body last accepted: the same answer comes back `unchanged`, not parsed.
   * `items`: what is done with the items of large arrays as the apps are parsed (see ItemHook).
   */
  async fetch(known: KnownBody | null = null, items: ItemHookFor | null = null): Promise<Fetched> {
    const bases = this.options.urls.map((url) => url.replace(/\/+$/, ''));
    const { value, from } = await firstThatAnswers(preferFirst(bases, this.preferred), 'Marathon', async (base) => {
      const url = `${base}/v2/apps?embed=apps.tasks`;
      const received = await getBody(url, { timeoutMs: this.options.timeoutMs, basicAuth: this.options.basicAuth, dispatcher: this.dispatcher }, known);
      return fetchedFrom(received, base, url, items);
    });
    this.preferred = from;
    return value;
  }

  /** Closes the private agent's sockets; a fetch after this fails with SWY_UPSTREAM_UNAVAILABLE. */
  async close(): Promise<void> {
    if (this.ownAgent !== null && !this.ownAgent.destroyed) await this.ownAgent.destroy();
  }
}
