// Fetches /master/state from the leading Mesos master over HTTP, following mesos-dns's leader redirect.
// I/O: network. Returns `unchanged` for the body already accepted (recognised by its kept print), else the body and
// the parsed document; checking its shape is the poller's job.
import type { Dispatcher } from 'undici';
import { fetchedFrom, parseBody, type Fetched, type ItemHookFor, type KnownBody, type Received } from './body.js';
import type { HostPort } from './model.js';
import { firstThatAnswers, getBody, preferFirst } from './http-json.js';
import { parseUpid } from './upid.js';

export interface MesosSourceOptions {
  readonly masters: readonly HostPort[];
  readonly timeoutMs: number;
  readonly https: boolean;
  /** "user:secret" for HTTP basic auth, or null. */
  readonly basicAuth: string | null;
  readonly dispatcher?: Dispatcher;
}

function hostForUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

export class MesosSource {
  /** The master that answered last; it is asked first next time. */
  private preferred: string | null = null;

  constructor(private readonly options: MesosSourceOptions) {}

  /**
   * Tries the last good master, then every configured master in order; throws SWY_UPSTREAM_UNAVAILABLE if all fail.
   * `known` is what the poller kept of the body it last accepted: that state again comes back `unchanged`, not
   * parsed. `items`: what is done with the items of large arrays as the state is parsed (see ItemHook).
   */
  async fetch(known: KnownBody | null = null, items: ItemHookFor | null = null): Promise<Fetched> {
    const byRaw = new Map(this.options.masters.map((m) => [m.raw, m]));
    const order = preferFirst([...byRaw.keys()], this.preferred);
    const { value, from } = await firstThatAnswers(order, 'Mesos master', (raw) => this.fetchFromMaster(byRaw.get(raw) as HostPort, known, items));
    this.preferred = from;
    return value;
  }

  /** GET /master/state; when the state names another leader, fetch once more from the leader's IP on the same port. */
  private async fetchFromMaster(master: HostPort, known: KnownBody | null, items: ItemHookFor | null): Promise<Fetched> {
    const { received, url } = await this.get(master.host, master.port, known);
    // The accepted state came from a leader, so a body equal to it names this master as the leader: no redirect.
    if (received.unchanged) return { from: master.raw, unchanged: true };
    const { body } = received;
    const doc = await parseBody(body, url, items);
    const leader = typeof doc === 'object' && doc !== null && 'leader' in doc ? (doc as { leader: unknown }).leader : null;
    const leaderAddress = typeof leader === 'string' ? parseUpid(leader) : null;
    // mesos-dns compares the IP strings and keeps the port it contacted (reference §1.7).
    if (leaderAddress !== null && leaderAddress.host !== master.host) {
      body.release(); // a follower's whole state, parsed only to find the leader
      const redirected = await this.get(leaderAddress.host, master.port, known);
      return fetchedFrom(redirected.received, `${leaderAddress.host}:${master.port}`, redirected.url, items);
    }
    return { from: master.raw, unchanged: false, body, doc };
  }

  private async get(host: string, port: number, known: KnownBody | null): Promise<{ received: Received; url: string }> {
    const url = `${this.options.https ? 'https' : 'http'}://${hostForUrl(host)}:${port}/master/state`;
    const received = await getBody(url, {
      timeoutMs: this.options.timeoutMs,
      basicAuth: this.options.basicAuth,
      ...(this.options.dispatcher ? { dispatcher: this.options.dispatcher } : {}),
    }, known);
    return { received, url };
  }
}
