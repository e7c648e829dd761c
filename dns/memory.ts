// Giving an answer-table buffer's memory back as soon as it is outgrown, rather than at the next full collection.
// Pure (no I/O); it detaches the buffer. dns/ keeps its own copy of state-poller/memory.ts's one line, as the two
// layers import nothing from each other but the snapshot model.

/**
 * Moves `buffer`'s memory to a new ArrayBuffer that nothing refers to (structuredClone's transfer copies nothing),
 * leaving `buffer` detached: every view of it has length 0. The table's outgrown arenas and lists (tens of MB at
 * 100k tasks) are old by the time they are dropped; the new object is young, so the next scavenge frees the memory.
 * Only for buffers nothing else shares: made with Buffer.allocUnsafeSlow or a typed array constructor.
 */
export function releaseMemory(buffer: ArrayBufferLike): void {
  if (buffer instanceof ArrayBuffer && buffer.byteLength > 0) structuredClone(buffer, { transfer: [buffer] });
}
