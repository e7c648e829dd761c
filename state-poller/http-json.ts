// GET an upstream JSON body over HTTP (undici) with a timeout, a status check and optional basic auth, compared with
// the body already accepted (its block prints) as it arrives. I/O: network. Shared by the Mesos and Marathon sources
// (same error codes).
import { request, type Dispatcher } from 'undici';
import { BodyCollector, type KnownBody, type Received } from './body.js';
import { SwitchyardError } from './errors.js';

export interface GetJsonOptions {
  readonly timeoutMs: number;
  /** "user:secret" for HTTP basic auth, or null. */
  readonly basicAuth: string | null;
  readonly dispatcher?: Dispatcher;
}

/**
 * The body of a 200 answer, or `unchanged` when it is `known` again (block prints compared as it arrives); throws
 * SWY_UPSTREAM_UNAVAILABLE (network, timeout) or SWY_UPSTREAM_HTTP_STATUS (not 200).
 */
export async function getBody(url: string, options: GetJsonOptions, known: KnownBody | null = null): Promise<Received> {
  const headers: Record<string, string> = { 'user-agent': 'switchyard', accept: 'application/json' };
  if (options.basicAuth !== null) headers.authorization = `Basic ${Buffer.from(options.basicAuth).toString('base64')}`;
  try {
    const response = await request(url, {
      method: 'GET',
      headers,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      signal: AbortSignal.timeout(options.timeoutMs),
      ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}),
    });
    if (response.statusCode !== 200) {
      await response.body.dump();
      throw new SwitchyardError('SWY_UPSTREAM_HTTP_STATUS', `${url} answered HTTP ${response.statusCode}`);
    }
    const collector = new BodyCollector(known, sizeHint(response.headers['content-length']));
    // 'data' events rather than for-await: a 60 MB body is about a thousand chunks, and a promise each adds up.
    await new Promise<void>((resolve, reject) => {
      response.body.on('data', (chunk: Buffer) => {
        // Thrown from here it would escape into undici's parser: the buffer may fail to allocate, for one.
        try {
          collector.push(chunk);
        } catch (error) {
          response.body.destroy(error instanceof Error ? error : new Error(String(error)));
        }
      });
      response.body.once('end', resolve);
      response.body.once('error', reject);
    });
    return await collector.finish();
  } catch (error) {
    if (error instanceof SwitchyardError) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new SwitchyardError('SWY_UPSTREAM_UNAVAILABLE', `${url}: ${reason}`, { cause: error });
  }
}

/** Bodies above this are not given a buffer of their announced size at once: it grows as they arrive. */
const MAX_SIZE_HINT = 1 << 30;

/** The Content-Length header as the size to make a changed body's buffer, or 0 when absent or implausible. */
export function sizeHint(header: string | string[] | undefined): number {
  const value = typeof header === 'string' && /^\d{1,10}$/.test(header) ? Number(header) : 0;
  return value <= MAX_SIZE_HINT ? value : 0;
}

/** Tries each candidate in order; the first success is returned, else one SWY_UPSTREAM_UNAVAILABLE naming them all. */
export async function firstThatAnswers<T>(candidates: readonly string[], what: string, attempt: (candidate: string) => Promise<T>): Promise<{ value: T; from: string }> {
  const failures: string[] = [];
  let lastError: unknown = null;
  for (const candidate of candidates) {
    try {
      return { value: await attempt(candidate), from: candidate };
    } catch (error) {
      lastError = error;
      failures.push(`${candidate}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  // With a single candidate its own, more precise code (HTTP status, malformed) is kept.
  if (candidates.length === 1 && lastError instanceof SwitchyardError) throw lastError;
  throw new SwitchyardError('SWY_UPSTREAM_UNAVAILABLE', `no ${what} answered: ${failures.join('; ')}`, { cause: lastError });
}

/** The list with `preferred` moved to the front, so the last host that answered is asked first next time. */
export function preferFirst(candidates: readonly string[], preferred: string | null): string[] {
  const order = [...candidates];
  const index = preferred === null ? -1 : order.indexOf(preferred);
  if (index > 0) order.unshift(...order.splice(index, 1));
  return order;
}
