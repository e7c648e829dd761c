// An upstream response body (one buffer, or any cut of it), and what a poller keeps of the body it accepted so that an
// unchanged state is recognised before it is parsed: the length, an XXH3 print of each 1 MiB block, and the blocks
// compressed (Brotli, about a tenth of the size or less for JSON), not the body itself. No I/O but zlib's thread pool;
// parsing runs in slices.
import { promisify } from 'node:util';
import { brotliDecompress, constants, createBrotliCompress, type BrotliCompress } from 'node:zlib';
import { xxh3 } from '@node-rs/xxhash';
import { SwitchyardError } from './errors.js';
import { releaseMemory } from './memory.js';
import { parseJsonSteps, type ItemHook } from './json-slices.js';
import { runInSlices } from './slices.js';

// XXH3 (64 bits, seed 0), native: 87 MB of bodies (a 100k-task cluster) in about 12 ms here, where xxhash-wasm's
// XXH64 took 20, SHA-1 70 and comparing with kept bodies byte for byte 10 (but kept 87 MB). Each hasher is its own
// state, so two pollers can hash at once.
const create64 = (): xxh3.Xxh3 => xxh3.Xxh3.withSeed();
const decompress = promisify(brotliDecompress);

/** Bytes per print and per compressed block. */
export const BLOCK_BYTES = 1 << 20;

export class Body {
  readonly length: number;
  /** The XXH3 (64 bits, seed 0) of each BLOCK_BYTES of the body, the last block possibly shorter; none when empty. */
  readonly prints: readonly bigint[];
  private released = false;

  /**
   * The body's bytes: one buffer as BodyCollector and file sources make it, or any cut of them (prints are the same).
   * `owned`: each chunk is the whole of a memory block made for this body alone, which release() may give back.
   */
  constructor(
    readonly chunks: readonly Buffer[],
    prints?: readonly bigint[],
    private readonly owned = false,
  ) {
    let length = 0;
    for (const chunk of chunks) length += chunk.length;
    this.length = length;
    this.prints = prints ?? printsOf(chunks);
  }

  static of(bytes: Buffer): Body {
    return new Body([bytes]);
  }

  text(): string {
    return this.bytes().toString('utf8');
  }

  /** The bytes in one buffer: the body's own when it is one chunk (as BodyCollector makes it), else a copy. */
  bytes(): Buffer {
    if (this.released) throw new Error('the body was released');
    return this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks as Buffer[], this.length);
  }

  /**
   * Gives an owned body's memory back once it has been parsed and kept: its buffer (60 MB for a 100k-task state)
   * outlives its last use, since the Buffer object is old by then and only a full collection finds it, and until
   * then it counts in the process's RSS (see releaseMemory). This body's chunks are left empty. Not owned: nothing
   * happens.
   */
  release(): void {
    if (!this.owned || this.released) return;
    this.released = true;
    for (const chunk of this.chunks) releaseMemory(chunk.buffer);
  }
}

/** A buffer of `size` bytes in a memory block of its own (never a share of Buffer's pool), so it may be released. */
function ownBuffer(size: number): Buffer {
  return Buffer.allocUnsafeSlow(size);
}

/** `chunk` cut at block ends: `fill` is how much of the current block came before it. */
function* blockPieces(chunk: Buffer, fill: number): Generator<Buffer> {
  let at = 0;
  while (at < chunk.length) {
    const n = Math.min(BLOCK_BYTES - fill, chunk.length - at);
    yield n === chunk.length ? chunk : chunk.subarray(at, at + n);
    at += n;
    fill = (fill + n) % BLOCK_BYTES;
  }
}

/** Block prints of a stream of chunks, fed in order as they arrive. */
class BlockPrinter {
  readonly prints: bigint[] = [];
  private hasher = create64();
  /** Bytes of the current block hashed so far. */
  fill = 0;

  /** Hashes one piece that does not cross a block end; true when it completed a block (its print is the last). */
  add(piece: Buffer): boolean {
    this.hasher.update(piece);
    this.fill += piece.length;
    if (this.fill < BLOCK_BYTES) return false;
    this.endBlock();
    return true;
  }

  /** Ends the current block (the last, shorter one at the end of a body); false when it is empty. */
  endBlock(): boolean {
    if (this.fill === 0) return false;
    this.prints.push(this.hasher.digest());
    this.hasher = create64();
    this.fill = 0;
    return true;
  }
}

/** The bytes of `chunks` cut into blocks, each as the views of the chunks it spans: no copy is made. */
function blocksOf(chunks: readonly Buffer[]): Buffer[][] {
  const blocks: Buffer[][] = [];
  let parts: Buffer[] = [];
  let fill = 0;
  for (const chunk of chunks) {
    for (const piece of blockPieces(chunk, fill)) {
      parts.push(piece);
      fill += piece.length;
      if (fill === BLOCK_BYTES) {
        blocks.push(parts);
        parts = [];
        fill = 0;
      }
    }
  }
  if (fill > 0) blocks.push(parts);
  return blocks;
}

/** Each block's print, for a body that was not printed as it arrived (BodyCollector prints as it goes). */
function printsOf(chunks: readonly Buffer[]): bigint[] {
  return blocksOf(chunks).map((parts) => {
    const hasher = create64();
    for (const part of parts) hasher.update(part);
    return hasher.digest();
  });
}

/**
 * One block compressed with Brotli at quality 1, in zlib's thread pool: about 140 ms of CPU for a 60 MB Mesos state
 * here and 3.6 MB out (deflate at level 1 took 225 ms for 4.4 MB). Fed as its parts: copying them into one buffer
 * first allocated the body's size again, and at 100k tasks that much new memory outside the heap drew a full garbage
 * collection of the whole heap.
 */
function pack(parts: readonly Buffer[]): Promise<Buffer> {
  const length = parts.reduce((n, p) => n + p.length, 0);
  const stream = createBrotliCompress({ params: { [constants.BROTLI_PARAM_QUALITY]: 1, [constants.BROTLI_PARAM_SIZE_HINT]: length } });
  const packed = collect(stream);
  for (const part of parts) stream.write(part);
  stream.end();
  return packed;
}

/**
 * What `stream` puts out, once it is closed: its native handle holds the stream (and so what was written to it)
 * until then, and a part is a view of the whole body, which it would keep alive.
 */
function collect(stream: BrotliCompress): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const out: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => out.push(chunk));
    // concat copies even one piece: the compressed block gets a buffer of its own size, not a share of zlib's.
    let failure: unknown = null;
    stream.once('error', (error) => (failure = error));
    // Settled only once closed, after an error too: until then zlib's thread may still read a part.
    stream.once('close', () => (failure === null ? resolve(Buffer.concat(out)) : reject(failure)));
  });
}

/** One output buffer of a block's size, instead of 16 KiB pieces joined. */
function unpack(packed: Buffer): Promise<Buffer> {
  return decompress(packed, { chunkSize: BLOCK_BYTES });
}

/**
 * What a poller keeps of the body it accepted. The compressed blocks give back the part of a changed body that
 * matched: that part is not kept as it arrives. A block's 64-bit print matches a different block's by chance about
 * once in 2^64; when it does, that block's old bytes stand in for the new ones (in the body parsed, and in what is
 * kept, until the block changes again), or an unchanged body is confirmed when the whole body is the same but for
 * it. Upstream states are not written against us, so that chance is all there is.
 */
export class KnownBody {
  private constructor(
    readonly length: number,
    readonly prints: readonly bigint[],
    private readonly packed: readonly Buffer[],
  ) {}

  /** Set when a block could not be decompressed: the poller then forgets this body, and its next poll parses afresh. */
  damaged = false;

  /**
   * What to keep of `body`. A block with the same print as `previous`'s block of that number (the body kept before
   * it) takes that block's compressed bytes: the blocks before the first change, and after it too when the change
   * keeps the length (an insertion shifts every later block). One block at a time, so that one compressor's state is
   * alive at once.
   */
  static async of(body: Body, previous: KnownBody | null = null): Promise<KnownBody> {
    const packed: Buffer[] = [];
    for (const [i, parts] of blocksOf(body.chunks).entries()) {
      const same = previous !== null && previous.prints[i] === body.prints[i] ? previous.packed[i] : undefined;
      packed.push(same ?? (await pack(parts)));
    }
    return new KnownBody(body.length, body.prints, packed);
  }

  /** Whether `body` has this length and these prints: the same bytes. */
  matches(body: Body): boolean {
    return body.length === this.length && body.prints.length === this.prints.length && body.prints.every((p, i) => p === this.prints[i]);
  }

  /**
   * The first `count` blocks, decompressed into `into` at their offsets, one at a time (each dropped once copied):
   * zlib's four threads also run dns.lookup (the pollers' host names), and a whole body's blocks at once would queue
   * the lookups behind them.
   */
  async copyBlocks(count: number, into: Buffer): Promise<void> {
    try {
      for (const [i, packed] of this.packed.slice(0, count).entries()) {
        const block = await unpack(packed);
        if (block.length !== (this.prints.length === i + 1 ? this.length - i * BLOCK_BYTES : BLOCK_BYTES)) throw new Error(`kept block ${i} decompressed to ${block.length} bytes`);
        block.copy(into, i * BLOCK_BYTES);
      }
    } catch (error) {
      this.damaged = true;
      throw error;
    }
  }

  /** The whole body again. */
  async body(): Promise<Body> {
    const out = ownBuffer(this.length);
    await this.copyBlocks(this.packed.length, out);
    return new Body([out], this.prints, true);
  }
}

/** What a BodyCollector found: the known body again (nothing kept), or a body that differs, whole. */
export type Received = { readonly unchanged: true } | { readonly unchanged: false; readonly body: Body };

/**
 * Collects a body chunk by chunk, printing each block as it arrives. While every block equals `known`'s, its bytes
 * are dropped as soon as the block is complete: each chunk dies young, so a large unchanged body costs no old-space
 * garbage (kept to the end, 87 MB of chunks took V8 into a full collection of the whole heap on every poll: about
 * 0.3 s of CPU per source). From the first block that differs, every chunk is copied into one buffer of the body's
 * size and dropped, and what was dropped before it is decompressed into the same buffer at the end. Keeping the
 * chunks themselves (a thousand 64 KiB pieces of malloc's heap at 60 MB) left that much memory resident after they
 * were freed, since malloc gives back only the top of its heap; one buffer that large is a mapping of its own.
 */
export class BodyCollector {
  private readonly printer = new BlockPrinter();
  /** The pieces of the current block while every block before it matched (then it has not been decided yet). */
  private pending: Buffer[] = [];
  /** The body from block `keptFrom` on, at its own offsets, once a block differed from known's (or nothing is known). */
  private out: Buffer | null = null;
  private keptFrom: number | null;
  private length = 0;

  /** `sizeHint`: the body's length when the server said it (Content-Length), so that the buffer is made once. */
  constructor(
    private readonly known: KnownBody | null,
    private readonly sizeHint = 0,
  ) {
    this.keptFrom = known === null ? 0 : null;
  }

  push(chunk: Buffer): void {
    let at = this.length;
    this.length += chunk.length;
    for (const piece of blockPieces(chunk, this.printer.fill)) {
      if (this.keptFrom === null) this.pending.push(piece);
      else this.copy(piece, at);
      at += piece.length;
      if (this.printer.add(piece)) this.decide();
    }
  }

  /** Copies `bytes` to offset `at` of the body (everything before `at` from block keptFrom on is written). */
  private copy(bytes: Buffer, at: number): void {
    bytes.copy(this.room(at + bytes.length, at), at);
  }

  /** The buffer, made or grown to hold `end` bytes; `written` is where what was copied so far ends. */
  private room(end: number, written: number): Buffer {
    if (this.out !== null && this.out.length >= end) return this.out;
    const next = ownBuffer(Math.max(end, this.sizeHint, this.out === null ? BLOCK_BYTES : this.out.length * 2));
    const from = (this.keptFrom ?? 0) * BLOCK_BYTES;
    if (this.out !== null) {
      this.out.copy(next, from, from, written);
      releaseMemory(this.out.buffer); // outgrown (no Content-Length): given back now, as Body.release does
    }
    this.out = next;
    return next;
  }

  /** After a block ends: drops it when it is known's block of that number, else keeps it and all that follows. */
  private decide(): void {
    if (this.keptFrom !== null) return;
    const index = this.printer.prints.length - 1;
    if (this.known?.prints[index] !== this.printer.prints[index]) {
      this.keptFrom = index;
      let at = index * BLOCK_BYTES;
      for (const piece of this.pending) {
        this.copy(piece, at);
        at += piece.length;
      }
    }
    this.pending = [];
  }

  async finish(): Promise<Received> {
    if (this.printer.endBlock()) this.decide();
    const { prints } = this.printer;
    const known = this.known;
    if (known !== null && this.keptFrom === null && prints.length === known.prints.length && this.length === known.length) {
      return { unchanged: true };
    }
    const from = this.keptFrom ?? prints.length;
    // Every byte from block keptFrom on was copied, so the buffer holds the whole length; nothing copied yet (the
    // body is the known one's first blocks, or empty): a buffer of just its size.
    const out = (this.out ??= ownBuffer(this.length)).subarray(0, this.length);
    if (known !== null && from > 0) await known.copyBlocks(from, out);
    return { unchanged: false, body: new Body([out], prints, true) };
  }
}

/** What is done with the items of a body's large arrays as it is parsed (see ItemHook), made for the body's bytes. */
export type ItemHookFor = (bytes: Uint8Array) => ItemHook;

/**
 * The document in `body`; SWY_UPSTREAM_MALFORMED naming `what` when it is not JSON. Parsed in slices: a 60 MB
 * Mesos state took JSON.parse 1.1–1.4 s in one piece, all of it time the DNS server could not answer. `items`: see
 * ItemHook.
 */
export async function parseBody(body: Body, what: string, items: ItemHookFor | null = null): Promise<unknown> {
  try {
    // The bytes themselves: their text as one string would be as large again, made in one step.
    const bytes = body.bytes();
    return await runInSlices(parseJsonSteps(bytes, undefined, items === null ? null : items(bytes)));
  } catch (error) {
    body.release(); // nothing will read it again
    throw new SwitchyardError('SWY_UPSTREAM_MALFORMED', `${what} is not JSON: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * What a source hands the poller: where it came from, and either `unchanged` (the body has the prints of the one the
 * poller passed in as already accepted: nothing was parsed, nor kept) or the body and its parsed document.
 */
export type Fetched =
  | { readonly from: string; readonly unchanged: true }
  | { readonly from: string; readonly unchanged: false; readonly body: Body; readonly doc: unknown };

/** A received body as a Fetched: as it is when unchanged, else parsed (`what` names it in the error; `items`: see ItemHook). */
export async function fetchedFrom(received: Received, from: string, what: string, items: ItemHookFor | null = null): Promise<Fetched> {
  if (received.unchanged) return { from, unchanged: true };
  const doc = await parseBody(received.body, what, items);
  return { from, unchanged: false, body: received.body, doc };
}
