// The scratch space the UDP fast path writes its replies into: the tail of the answer table's own block, so that
// copying an answer is one copyWithin and answering allocates nothing. Pure state, one reply at a time.
import { finish } from './steps.js';

/** The largest UDP reply (an EDNS buffer of 65,535 bytes). */
export const REPLY_AREA_BYTES = 65535;
/** Lengths up to this get a kept view; longer replies (EDNS buffers over 4 KiB, rare) get a new one. */
const KEPT_LENGTHS = 4096;

/**
 * Why: with a new Buffer per reply and Buffer#copy per answer range (which makes a view each time), the copying was
 * about a tenth of a reply's CPU under dnsperf. Here the reply is a kept view of the block's tail and each range of
 * answers is copied inside that one block. A reply is valid until the next one is written: the caller sends it at
 * once (dns/udp-socket.ts makes the send synchronous) and writes here only while no send of the socket is queued,
 * since libuv would read a queued one's bytes later.
 */
export class ReplyArea {
  /** The whole block: the table's bytes, then the reply area. */
  readonly block: Uint8Array;
  /** Where the reply area starts in `block` (the table's bytes end there). */
  readonly start: number;
  private readonly views: (Buffer | undefined)[] = Array.from({ length: KEPT_LENGTHS + 1 }, () => undefined);

  /** `bytes` must be a view at the start of a block with REPLY_AREA_BYTES to spare after it (see withReplyArea). */
  constructor(bytes: Buffer) {
    if (bytes.byteOffset !== 0 || bytes.buffer.byteLength < bytes.length + REPLY_AREA_BYTES) throw new Error('the table bytes have no reply area after them');
    this.block = new Uint8Array(bytes.buffer);
    this.start = bytes.length;
  }

  /** The reply buffer of exactly `length` bytes (at most REPLY_AREA_BYTES). */
  view(length: number): Buffer {
    if (length > KEPT_LENGTHS) return Buffer.from(this.block.buffer, this.start, length);
    let view = this.views[length];
    if (view === undefined) {
      view = Buffer.from(this.block.buffer, this.start, length);
      this.views[length] = view;
    }
    return view;
  }

  /** Copies the table's bytes [from, to) to offset `at` of the reply; returns how many. */
  copyAnswers(from: number, to: number, at: number): number {
    this.block.copyWithin(this.start + at, from, to);
    return to - from;
  }
}

/**
 * A block at least this large is always mapped afresh by malloc (glibc's mmap threshold never exceeds 32 MiB on
 * 64-bit systems), so its pages that were never written take no memory: only what was written counts in RSS. This
 * holds for glibc, which Node uses on Debian; an allocator that hands out reused pages (jemalloc, tcmalloc) would
 * make the spare room resident.
 */
export const FRESH_PAGES_BYTES = 32 << 20;

/**
 * Whether `bytes` starts a block with the reply area after it and wastes under a tenth besides (see withReplyArea);
 * with `unwrittenTail`, whatever the spare room, once the block is FRESH_PAGES_BYTES or more.
 */
function hasReplyArea(bytes: Uint8Array, unwrittenTail: boolean): boolean {
  const spare = bytes.buffer.byteLength - bytes.length - REPLY_AREA_BYTES;
  if (bytes.byteOffset !== 0 || spare < 0) return false;
  return spare < bytes.length * 0.1 || (unwrittenTail && bytes.buffer.byteLength >= FRESH_PAGES_BYTES);
}

/**
 * `bytes` at the start of a block with the reply area after it: the block `bytes` already starts when it has that
 * room and wastes under a tenth besides (the arena is sized for it), else a copy in a new block of just that size.
 */
export function withReplyArea(bytes: Uint8Array): Buffer {
  return finish(withReplyAreaSteps(bytes, Number.POSITIVE_INFINITY));
}

/**
 * withReplyArea as steps: a copy is made `chunkBytes` at a time, pausing after each (45 MB at 100k tasks).
 * `unwrittenTail`: nothing was ever written in the block past `bytes` (an arena made with Buffer.allocUnsafeSlow and
 * written from its start), so a large block's spare room costs no memory and the block is kept as it is. Copying
 * it held the table's 45 MB twice at the end of every rebuild at 100k tasks, at the process's peak.
 */
export function* withReplyAreaSteps(bytes: Uint8Array, chunkBytes: number, unwrittenTail = false): Generator<void, Buffer> {
  if (hasReplyArea(bytes, unwrittenTail)) return Buffer.from(bytes.buffer, 0, bytes.length);
  // Unzeroed: every byte below bytes.length is copied in, and the reply area is written before it is sent.
  const out = Buffer.allocUnsafeSlow(bytes.length + REPLY_AREA_BYTES).subarray(0, bytes.length);
  for (let at = 0; at < bytes.length; at += chunkBytes) {
    out.set(bytes.subarray(at, Math.min(bytes.length, at + chunkBytes)), at);
    yield;
  }
  return out;
}
