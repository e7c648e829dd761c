// Reply buffers for the UDP fast path: one Buffer per reply length over one shared block, taken again for every
// answer, so answering allocates nothing. Pure state; the caller tells it whether a send may still read the block.
const BLOCK_BYTES = 65535;
/** Lengths up to this get a kept view; longer replies (rare: EDNS buffers over 4 KiB) share the block uncached. */
const KEPT_LENGTHS = 4096;

/**
 * Why: a new Buffer per reply cost about 1.5 µs of CPU each under dnsperf (the object, then the send of a buffer the
 * socket has not seen), a tenth of what a reply costs. A view is safe to reuse once its bytes were sent: the UDP
 * socket's send is synchronous (dns/udp-socket.ts passes the address through, and Node tries the send at once), so
 * the kernel has copied the reply before the next datagram is handled. Only when a send could not go at once and was
 * queued (the socket buffer full) does libuv still read the block later; while `pending()` says so, replies get
 * buffers of their own.
 */
export class ReplyBuffers {
  private readonly block = new ArrayBuffer(BLOCK_BYTES);
  private readonly views: (Buffer | undefined)[] = Array.from({ length: KEPT_LENGTHS + 1 }, () => undefined);

  /** `pending` is true while a send from the socket is queued (dgram's getSendQueueCount() > 0). */
  constructor(private readonly pending: () => boolean) {}

  /** A buffer of exactly `length` bytes, valid until the next take(): send it before then. */
  readonly take = (length: number): Buffer => {
    if (length > BLOCK_BYTES || this.pending()) return Buffer.allocUnsafe(length);
    if (length > KEPT_LENGTHS) return Buffer.from(this.block, 0, length);
    let view = this.views[length];
    if (view === undefined) {
      view = Buffer.from(this.block, 0, length);
      this.views[length] = view;
    }
    return view;
  };
}
