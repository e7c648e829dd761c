// dns/table-entries.ts's doneSteps: a large table's answers are copied into a block with the fast path's reply area
// a few MiB at a time, and give the same bytes and lists as done() does at once.
import { describe, expect, it } from 'vitest';
import { REPLY_AREA_BYTES, ReplyArea } from '../../dns/reply-area.js';
import { Entries } from '../../dns/table-entries.js';

/** An Entries whose arena holds `size` bytes of a pattern (in entries of 1,000 bytes, one record each). */
function filled(size: number, estimate: number): Entries {
  const store = new Entries(estimate);
  for (let written = 0; written < size; written += 1000) {
    const entry = store.begin();
    store.recordStarts.push(store.arena.used);
    store.arena.ensure(1000);
    for (let i = 0; i < 1000; i += 4) store.arena.u32((written + i) * 2654435761);
    store.finish(entry, store.arena.used, 1, 0);
  }
  return store;
}

describe('Entries.doneSteps', () => {
  it('copies 10 MB of answers a few MiB at a time into a block with the reply area, the same as done()', () => {
    const size = 10_000_000;
    // Sized from a small estimate: the arena grows by half each time, so it has room the bytes must be copied out of.
    const stepped = filled(size, 1 << 20);
    const steps = stepped.doneSteps();
    let pauses = 0;
    let step = steps.next();
    for (; step.done !== true; step = steps.next()) pauses++;
    const direct = filled(size, 1 << 20).done();
    const { bytes, entries, starts } = step.value;
    // Three copies of 4 MiB, then the two lists.
    expect(pauses).toBeGreaterThanOrEqual(4);
    expect(bytes.length).toBe(size);
    expect(bytes.equals(direct.bytes)).toBe(true);
    expect([...entries]).toEqual([...direct.entries]);
    expect([...starts]).toEqual([...direct.starts]);
    expect(bytes.byteOffset).toBe(0);
    expect(bytes.buffer.byteLength).toBe(size + REPLY_AREA_BYTES);
    // The fast path's scratch area fits after them.
    expect(() => new ReplyArea(bytes)).not.toThrow();
  });

  it('keeps the arena itself when it already has just the room for the reply area', () => {
    const size = 1_000_000;
    const store = filled(size, size);
    const arena = store.arena.bytes.buffer;
    const { bytes } = store.done();
    expect(bytes.buffer).toBe(arena);
    expect(bytes.length).toBe(size);
  });
});
