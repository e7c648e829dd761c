// An upstream response body as the chunks it arrived in, compared byte for byte with the last accepted one so that
// an unchanged state is recognised before it is parsed. No I/O; parsing runs in slices between event-loop turns.
import { SwitchyardError } from './errors.js';
import { parseJsonSteps } from './json-slices.js';
import { runInSlices } from './slices.js';

export class Body {
  readonly length: number;

  /** The chunks are kept as they arrived: joining them would copy the whole body only to compare it. */
  constructor(readonly chunks: readonly Buffer[]) {
    let length = 0;
    for (const chunk of chunks) length += chunk.length;
    this.length = length;
  }

  static of(bytes: Buffer): Body {
    return new Body([bytes]);
  }

  /** Byte-for-byte equality, chunk boundaries aside; a memcmp per overlap, so ~10 ms for 60 MB here. */
  equals(other: Body): boolean {
    if (other === this) return true;
    if (other.length !== this.length) return false;
    const collector = new BodyCollector(this);
    for (const chunk of other.chunks) collector.push(chunk);
    return collector.finish().unchanged;
  }

  /** The first `length` bytes as views of this body's chunks (no copy). */
  prefix(length: number): Buffer[] {
    const out: Buffer[] = [];
    let left = length;
    for (const part of this.chunks) {
      if (left <= 0) break;
      out.push(part.length <= left ? part : part.subarray(0, left));
      left -= part.length;
    }
    return out;
  }

  text(): string {
    return this.chunks.length === 1 ? (this.chunks[0] as Buffer).toString('utf8') : Buffer.concat(this.chunks as Buffer[], this.length).toString('utf8');
  }
}

/**
 * Collects a body chunk by chunk, comparing it with `known` (the body last accepted) as it arrives. While they agree
 * nothing is kept: each chunk dies young, so a large unchanged body costs no old-space garbage (and no full garbage
 * collection of a heap that holds a whole cluster); at the first difference the agreeing part is taken from `known`.
 */
export class BodyCollector {
  private chunks: Buffer[] | null = null;
  /** Bytes received so far that equal `known`'s first bytes; they end in known's chunk `part` at `partOffset`. */
  private matched = 0;
  private part = 0;
  private partOffset = 0;

  constructor(private readonly known: Body | null) {}

  push(chunk: Buffer): void {
    if (this.chunks === null) {
      if (this.known !== null && this.matches(this.known, chunk)) {
        this.matched += chunk.length;
        return;
      }
      this.chunks = this.known === null ? [] : this.known.prefix(this.matched);
    }
    this.chunks.push(chunk);
  }

  /** Whether `chunk` continues `known` from where the bytes so far left off; moves that place on when it does. */
  private matches(known: Body, chunk: Buffer): boolean {
    let part = this.part;
    let at = this.partOffset;
    let done = 0;
    while (done < chunk.length) {
      const piece = known.chunks[part];
      if (piece === undefined) return false;
      const n = Math.min(piece.length - at, chunk.length - done);
      if (piece.compare(chunk, done, done + n, at, at + n) !== 0) return false;
      done += n;
      at += n;
      if (at === piece.length) {
        part++;
        at = 0;
      }
    }
    this.part = part;
    this.partOffset = at;
    return true;
  }

  /** The whole body, and whether it is `known` byte for byte (then `known` itself is returned). */
  finish(): { readonly body: Body; readonly unchanged: boolean } {
    if (this.chunks !== null) return { body: new Body(this.chunks), unchanged: false };
    if (this.known !== null && this.matched === this.known.length) return { body: this.known, unchanged: true };
    return { body: new Body(this.known === null ? [] : this.known.prefix(this.matched)), unchanged: false };
  }
}

/**
 * The document in `body`; SWY_UPSTREAM_MALFORMED naming `what` when it is not JSON. Parsed in slices: a 60 MB
 * Mesos state took JSON.parse 1.1–1.4 s in one piece, all of it time the DNS server could not answer.
 */
export async function parseBody(body: Body, what: string): Promise<unknown> {
  try {
    return await runInSlices(parseJsonSteps(body.text()));
  } catch (error) {
    throw new SwitchyardError('SWY_UPSTREAM_MALFORMED', `${what} is not JSON: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * What a source hands the poller: the body and where it came from, and either `unchanged` (the body equals the one
 * the poller passed in as already accepted: nothing was parsed) or the parsed document.
 */
export type Fetched =
  | { readonly from: string; readonly body: Body; readonly unchanged: true }
  | { readonly from: string; readonly body: Body; readonly unchanged: false; readonly doc: unknown };

/** A received body as a Fetched: as it is when unchanged, else parsed (`what` names it in the error). */
export async function fetchedFrom(received: { readonly body: Body; readonly unchanged: boolean }, from: string, what: string): Promise<Fetched> {
  const { body } = received;
  return received.unchanged ? { from, body, unchanged: true } : { from, body, unchanged: false, doc: await parseBody(body, what) };
}
