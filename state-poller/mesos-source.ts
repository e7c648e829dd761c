// Fetches /master/state from the leading Mesos master over HTTP (undici), following mesos-dns's leader redirect.
// I/O: network. Returns the parsed JSON document; checking its shape is the poller's job.
import { request, type Dispatcher } from 'undici';
import { SwitchyardError } from './errors.js';
import type { HostPort } from './model.js';
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
    const order = [...this.options.masters];
    const preferredIndex = order.findIndex((m) => m.raw === this.preferred);
    if (preferredIndex > 0) order.unshift(...order.splice(preferredIndex, 1));
    const failures: string[] = [];
    let lastError: unknown = null;
    for (const master of order) {
      try {
        const fetched = await this.fetchFromMaster(master);
        this.preferred = master.raw;
        return fetched;
      } catch (error) {
        lastError = error;
        failures.push(`${master.raw}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    if (order.length === 1 && lastError instanceof SwitchyardError) throw lastError;
    throw new SwitchyardError('SWY_UPSTREAM_UNAVAILABLE', `no Mesos master answered: ${failures.join('; ')}`, { cause: lastError });
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

  private async get(host: string, port: number): Promise<unknown> {
    const url = `${this.options.https ? 'https' : 'http'}://${hostForUrl(host)}:${port}/master/state`;
    const headers: Record<string, string> = { 'user-agent': 'switchyard', accept: 'application/json' };
    if (this.options.basicAuth !== null) headers.authorization = `Basic ${Buffer.from(this.options.basicAuth).toString('base64')}`;
    let text: string;
    try {
      const response = await request(url, {
        method: 'GET',
        headers,
        headersTimeout: this.options.timeoutMs,
        bodyTimeout: this.options.timeoutMs,
        signal: AbortSignal.timeout(this.options.timeoutMs),
        ...(this.options.dispatcher ? { dispatcher: this.options.dispatcher } : {}),
      });
      text = await response.body.text();
      if (response.statusCode !== 200) {
        throw new SwitchyardError('SWY_UPSTREAM_HTTP_STATUS', `${url} answered HTTP ${response.statusCode}`);
      }
    } catch (error) {
      if (error instanceof SwitchyardError) throw error;
      const reason = error instanceof Error ? error.message : String(error);
      throw new SwitchyardError('SWY_UPSTREAM_UNAVAILABLE', `${url}: ${reason}`, { cause: error });
    }
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      throw new SwitchyardError('SWY_UPSTREAM_MALFORMED', `${url} did not return JSON: ${(error as Error).message}`, { cause: error });
    }
  }
}
