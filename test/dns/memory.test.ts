// releaseMemory (state-poller's, and dns/'s copy): a buffer's memory handed to a young object, the buffer left
// detached; dns/'s freeMemoryNow: the memory freed within a turn of the event loop, with no collection.
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { freeMemoryNow, releaseMemory as releaseTableMemory } from '../../dns/memory.js';
import { Arena, IntList } from '../../dns/table-arena.js';
import { releaseMemory } from '../../state-poller/memory.js';

describe.each([
  ['state-poller', releaseMemory],
  ['dns', releaseTableMemory],
])('releaseMemory (%s)', (_layer, releaseMemory) => {
  it('detaches the buffer, so every view of it is empty; an empty or shared one is left alone', () => {
    const bytes = Buffer.allocUnsafeSlow(1 << 16).fill(7);
    const view = bytes.subarray(10, 20);
    releaseMemory(bytes.buffer);
    expect([bytes.length, view.length, bytes.buffer.byteLength]).toEqual([0, 0, 0]);
    releaseMemory(bytes.buffer); // already detached: nothing to do
    const shared = new SharedArrayBuffer(16);
    releaseMemory(shared);
    expect(shared.byteLength).toBe(16);
  });

});

describe('freeMemoryNow', () => {
  it('frees the memory within a turn of the event loop, with no garbage collection, and detaches the buffers', async () => {
    // Kept referenced throughout, so that only freeMemoryNow can give the memory back.
    const kept = [Buffer.allocUnsafeSlow(24 << 20).fill(1), new Int32Array(4 << 20).fill(2)];
    const before = process.memoryUsage().arrayBuffers;
    // The same buffer twice, a shared one and a detached one are passed over without an error.
    const shared = new SharedArrayBuffer(16);
    freeMemoryNow(...kept.map((array) => array.buffer), kept[0]?.buffer ?? new ArrayBuffer(0), shared);
    freeMemoryNow(kept[0]?.buffer ?? new ArrayBuffer(0));
    await sleep(20);
    const freed = before - process.memoryUsage().arrayBuffers;
    expect(freed).toBeGreaterThanOrEqual(40 << 20);
    expect(kept.map((array) => array.length)).toEqual([0, 0]);
    expect(shared.byteLength).toBe(16);
  });
});

describe('the answer table arena and lists', () => {
  it('release what they grew out of, and keep every byte written', () => {
    const arena = new Arena(0);
    const first = arena.bytes;
    for (let i = 0; i < 3000; i++) {
      arena.ensure(2);
      arena.u16(i);
    }
    expect(first.length).toBe(0);
    expect(Array.from({ length: 3000 }, (_, i) => arena.bytes.readUInt16BE(2 * i))).toEqual(Array.from({ length: 3000 }, (_, i) => i));
    const list = new IntList();
    const items = list.items;
    for (let i = 0; i < 10_000; i++) list.push(i * 3);
    expect(items.length).toBe(0);
    expect(Array.from(list.items.subarray(0, list.length))).toEqual(Array.from({ length: 10_000 }, (_, i) => i * 3));
  });
});
