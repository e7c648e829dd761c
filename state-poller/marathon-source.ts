// Fetches GET /v2/apps?embed=apps.tasks from Marathon, trying the configured URLs in order (undici).
// I/O: network. The first URL that answers is asked first next time, as marathon-lb does.
import type { Dispatcher } from 'undici';
import { firstThatAnswers, getJson, preferFirst } from './http-json.js';

export interface MarathonSourceOptions {
  /** Base URLs, e.g. "http://127.0.0.1:8080". */
  readonly urls: readonly string[];
  readonly timeoutMs: number;
  /** "user:secret" for HTTP basic auth, or null. */
  readonly basicAuth: string | null;
  readonly dispatcher?: Dispatcher;
}

export class MarathonSource {
  private preferred: string | null = null;

  constructor(private readonly options: MarathonSourceOptions) {}

  async fetch(): Promise<{ readonly doc: unknown; readonly from: string }> {
    const bases = this.options.urls.map((url) => url.replace(/\/+$/, ''));
    const { value, from } = await firstThatAnswers(preferFirst(bases, this.preferred), 'Marathon', (base) =>
      getJson(`${base}/v2/apps?embed=apps.tasks`, {
        timeoutMs: this.options.timeoutMs,
        basicAuth: this.options.basicAuth,
        ...(this.options.dispatcher ? { dispatcher: this.options.dispatcher } : {}),
      }),
    );
    this.preferred = from;
    return { doc: value, from };
  }
}
