// What a poller remembers of the state it last accepted, so that the same body is recognised on the next poll
// without parsing it: what it kept of the body, and the host names it used with their addresses. No I/O (the body
// is compressed in zlib's thread pool).
import type { Logger } from 'pino';
import { KnownBody, type Body } from './body.js';

export interface Accepted {
  /** The accepted body's length, block prints and compressed blocks (not the body itself: 87 MB at 100k tasks). */
  readonly known: KnownBody;
  /** Each host name the state uses, with the addresses it resolved to when the state was accepted. */
  readonly hosts: ReadonlyMap<string, readonly string[]>;
}

/** True when every name resolves to the same addresses, in the same order, as in `before`. */
function sameAddresses(before: ReadonlyMap<string, readonly string[]>, now: ReadonlyMap<string, readonly string[]>): boolean {
  if (before.size !== now.size) return false;
  for (const [name, addresses] of now) {
    const old = before.get(name);
    if (old === undefined || old.length !== addresses.length || old.some((a, i) => a !== addresses[i])) return false;
  }
  return true;
}

/**
 * Whether a fetch that came back unchanged still gives the state being served: every host name the accepted state
 * used resolves as it did then (mesos-dns and marathon-lb look them up on every poll). `resolve` looks names up.
 */
export async function stillServed(accepted: Accepted, resolve: (names: readonly string[]) => Promise<ReadonlyMap<string, readonly string[]>>): Promise<boolean> {
  return sameAddresses(accepted.hosts, await resolve([...accepted.hosts.keys()]));
}

/**
 * What to remember of a state just accepted from `body` (or from the body already kept, when it was the same), with
 * `previous` the body kept before it. Null when the body cannot be compressed (a warning says why): the next poll
 * then parses whatever it gets, rather than confirm a state that is no longer the one served.
 */
export async function acceptedOf(body: Body | KnownBody, previous: KnownBody | null, hosts: ReadonlyMap<string, readonly string[]>, logger: Pick<Logger, 'warn'>): Promise<Accepted | null> {
  try {
    return { known: body instanceof KnownBody ? body : await KnownBody.of(body, previous), hosts };
  } catch (error) {
    logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'the accepted body could not be kept; the next poll parses what it gets');
    return null;
  }
}
