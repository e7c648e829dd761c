// Giving a large buffer's memory back as soon as it is no longer used, rather than at the next full collection.
// Pure (no I/O); it detaches the buffer.

/**
 * Moves `buffer`'s memory to a new ArrayBuffer that nothing refers to (structuredClone's transfer copies nothing),
 * leaving `buffer` detached: every view of it has length 0 from then on. A large buffer's JS object is usually old
 * by the time it is dropped, and only a full collection would free it, while its memory counts in RSS (tens of MB
 * at 100k tasks); the new object is young, so the next scavenge frees the memory. Only for buffers nothing else
 * shares: made with Buffer.allocUnsafeSlow or a typed array constructor, never a share of Buffer's pool.
 */
export function releaseMemory(buffer: ArrayBufferLike): void {
  if (buffer instanceof ArrayBuffer && buffer.byteLength > 0) structuredClone(buffer, { transfer: [buffer] });
}
