// Fetches /master/state from the leading Mesos master over HTTP, following mesos-dns's leader redirect.
// I/O: network. Returns the parsed JSON document; checking its shape is the poller's job.
import type { Dispatcher } from 'undici';
import type { HostPort } from './model.js';
import { firstThatAnswers, getJson, preferFirst } from './http-json.js';
import { parseUpid } from './upid.js';

export interface MesosSourceOptions {
  readonly masters: readonly HostPort[];
  readonly timeoutMs: number;
  readonly https: boolean;
  /** "user:secret" for HTTP basic auth, or null. */
  readonly basicAuth: string | null;
  readonly dispatcher?: Dispatcher;
}

export interface FetchedState {
  readonly doc: unknown;
  /** The master that served it, "host:port". */
  readonly from: string;
}

function hostForUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

export class MesosSource {
  /** The master that answered last; it is asked first next time. */
  private preferred: string | null = null;

  constructor(private readonly options: MesosSourceOptions) {}

  /** Tries the last good master, then every configured master in order; throws SWY_UPSTREAM_UNAVAILABLE if all fail. */
  async fetch(): Promise<FetchedState> {
    const byRaw = new Map(this.options.masters.map((m) => [m.raw, m]));
    const order = preferFirst([...byRaw.keys()], this.preferred);
    const { value, from } = await firstThatAnswers(order, 'Mesos master', (raw) => this.fetchFromMaster(byRaw.get(raw) as HostPort));
    this.preferred = from;
    return value;
  }

  /** GET /master/state; when the state names another leader, fetch once more from the leader's IP on the same port. */
  private async fetchFromMaster(master: HostPort): Promise<FetchedState> {
    const doc = await this.get(master.host, master.port);
    const leader = typeof doc === 'object' && doc !== null && 'leader' in doc ? (doc as { leader: unknown }).leader : null;
    const leaderAddress = typeof leader === 'string' ? parseUpid(leader) : null;
    // mesos-dns compares the IP strings and keeps the port it contacted (reference §1.7).
    if (leaderAddress !== null && leaderAddress.host !== master.host) {
      const redirected = await this.get(leaderAddress.host, master.port);
      return { doc: redirected, from: `${leaderAddress.host}:${master.port}` };
    }
    return { doc, from: master.raw };
  }

  private get(host: string, port: number): Promise<unknown> {
    const url = `${this.options.https ? 'https' : 'http'}://${hostForUrl(host)}:${port}/master/state`;
    return getJson(url, {
      timeoutMs: this.options.timeoutMs,
      basicAuth: this.options.basicAuth,
      ...(this.options.dispatcher ? { dispatcher: this.options.dispatcher } : {}),
    });
  }
}
