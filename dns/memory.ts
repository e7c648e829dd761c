// Giving an answer table's buffers back before V8's next full collection: those it grew out of while it was built,
// and a whole table once it is no longer served. No I/O (an in-process message channel); it detaches the buffers.
// releaseMemory is dns/'s own copy of state-poller/memory.ts's, as the two layers import nothing from each other but
// the snapshot model.
import { MessageChannel } from 'node:worker_threads';

/**
 * Moves `buffer`'s memory to a new ArrayBuffer that nothing refers to (structuredClone's transfer copies nothing),
 * leaving `buffer` detached: every view of it has length 0. The table's outgrown arenas and lists (tens of MB at
 * 100k tasks) are old by the time they are dropped; the new object is young, so the next scavenge frees the memory,
 * and while a table is built one comes within milliseconds. Only for buffers nothing else shares: made with
 * Buffer.allocUnsafeSlow or a typed array constructor.
 */
export function releaseMemory(buffer: ArrayBufferLike): void {
  if (buffer instanceof ArrayBuffer && buffer.byteLength > 0) structuredClone(buffer, { transfer: [buffer] });
}

/**
 * Frees the buffers' memory within a turn of the event loop, without waiting for any collection, and leaves them
 * detached: they are transferred into a message on a MessageChannel whose ports are closed at once, and the message
 * is dropped with its memory. For a table no longer served: the process is usually idle after a rebuild, and with
 * releaseMemory's young object the memory stayed until the next rebuild's first scavenge. Not used while building:
 * in the scale benchmark's `rss` part, freeing outgrown buffers and bodies this way raised the peak from 450-458 MB
 * to 494-495 (how glibc placed what came next, presumably), for no gain. Same buffers as releaseMemory.
 */
export function freeMemoryNow(...buffers: ArrayBufferLike[]): void {
  // Each once (a transfer list naming one twice throws), and only ArrayBuffers (not shared) not detached yet.
  const list = [...new Set(buffers)].filter((buffer): buffer is ArrayBuffer => buffer instanceof ArrayBuffer && buffer.byteLength > 0);
  if (list.length === 0) return;
  const { port1, port2 } = new MessageChannel();
  port1.postMessage(null, list);
  port1.close();
  port2.close();
}
