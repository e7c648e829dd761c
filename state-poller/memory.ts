// Giving a large buffer's memory back as soon as it is no longer used, rather than at the next full collection.
// No I/O (an in-process message channel); it detaches the buffers.
import { MessageChannel } from 'node:worker_threads';

/**
 * Frees the memory of `buffers` within a turn of the event loop, leaving each detached: every view of it has length
 * 0 from then on. They are transferred into a message on a MessageChannel whose ports are closed at once, so the
 * message, and with it the memory, is dropped without waiting for V8: a large buffer's JS object is usually old by
 * the time it is dropped, and only a full collection would free it, while its memory counts in RSS (tens of MB at
 * 100k tasks). (structuredClone's transfer, used before, moved the memory to a young object, which was freed only
 * at the next scavenge: when the process went idle after a rebuild, that could be the next rebuild.) Only for
 * buffers nothing else shares: made with Buffer.allocUnsafeSlow or a typed array constructor, never a share of
 * Buffer's pool. Shared and already detached ones are skipped.
 */
export function releaseMemory(...buffers: ArrayBufferLike[]): void {
  const owned = [...new Set(buffers)].filter((buffer): buffer is ArrayBuffer => buffer instanceof ArrayBuffer && buffer.byteLength > 0);
  if (owned.length === 0) return;
  const { port1, port2 } = new MessageChannel();
  port1.postMessage(null, owned);
  port1.close();
  port2.close();
}
