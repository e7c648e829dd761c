// When an answer table's memory is given back: at once when it is no longer served, but not while a reader holds it
// (a /v1/axfr body being written), a UDP send from its reply area is queued, or another server answers its zone.
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { AnswerTable } from '../../dns/answer-table.js';
import { fastAnswer } from '../../dns/fast-path.js';
import { HttpApi, type HttpView } from '../../dns/http-api.js';
import type { RecordSet, SrvTarget } from '../../dns/records.js';
import { TableBuilder } from '../../dns/table-builder.js';
import { TableSwap } from '../../dns/table-swap.js';
import { Zone } from '../../dns/zone.js';
import { question } from './question-bytes.js';

/** `apps` apps of two tasks; generation g puts every address under 10.g.0.0/16. */
function zoneOf(generation: number, apps = 300): Zone {
  const a = new Map<string, string[]>();
  const srv = new Map<string, SrvTarget[]>();
  for (let i = 0; i < apps; i++) {
    const targets: SrvTarget[] = [];
    for (let k = 0; k < 2; k++) {
      const target = `app-${i}-t${k}.marathon.mesos.`;
      a.set(target, [`10.${generation}.${i >> 8}.${((i & 0xff) * 2 + k) & 0xff}`]);
      targets.push({ target, port: 31000 + k });
    }
    srv.set(`_app-${i}._tcp.marathon.mesos.`, targets);
  }
  const records: RecordSet = { apex: 'mesos.', a, aaaa: new Map(), srv, frameworks: [], diagnostics: [] };
  return new Zone(records, { ttl: 60, srvWeight: 1, soa: { mname: 'ns1.mesos.', rname: 'root.ns1.mesos.', serial: generation, refresh: 60, retry: 600, expire: 86400, minimum: 60 } });
}

/** The table `swap` serves (it has finished building). */
function servedTable(swap: TableSwap): AnswerTable {
  const table = swap.current.table;
  if (table === null) throw new Error('no table is served');
  return table;
}

/** Offers `zone` to `swap`, waits until it is served with its table, and returns that table. */
async function serve(swap: TableSwap, zone: Zone): Promise<AnswerTable> {
  swap.offer(zone);
  await swap.settled();
  return servedTable(swap);
}

/** Long enough for TableSwap's next check of its retired tables (every 50 ms). */
const nextSweep = (): Promise<void> => sleep(120);

const FAST = { recursionAvailable: true, setTruncateBit: true };
const answerOf = (table: AnswerTable, name: string): Buffer | null => fastAnswer(table, question({ name, type: 1, id: 7 }), 'udp', 0, FAST, { qtype: 0, rcode: 0, truncated: false });

const swaps: TableSwap[] = [];
afterEach(() => {
  for (const swap of swaps.splice(0)) swap.close();
});
function newSwap(quiet?: () => boolean): TableSwap {
  const swap = new TableSwap(2, (error) => {
    throw error;
  }, quiet);
  swaps.push(swap);
  return swap;
}

describe('a table no longer served', () => {
  it('is freed at the swap, and its zone is retired', async () => {
    const swap = newSwap();
    const one = zoneOf(1);
    const first = await serve(swap, one);
    expect(one.readsFrom(first)).toBe(true);
    const bytes = first.bytes.length;
    expect(bytes).toBeGreaterThan(10_000);

    const two = zoneOf(2);
    // Still served while the new table is built (a 300-app zone is built within the first slice or two).
    expect(await serve(swap, two)).not.toBe(first);
    expect(first.isFreed).toBe(true);
    expect(swap.retiring).toBe(0);
    // Its memory went with it: every view of its buffers is empty.
    expect([first.bytes.length, first.slots.length, first.entries.length, first.recordStarts.length]).toEqual([0, 0, 0, 0]);
    // A reader that was missed fails loudly rather than reading zeros; the retired zone cannot be served again.
    expect(() => one.records.a.get('app-1-t0.marathon.mesos.')).toThrow(/freed/);
    expect(() => swap.offer(one)).toThrow(/retired/);
    // The zone served is whole.
    expect(two.records.a.get('app-1-t0.marathon.mesos.')).toEqual(['10.2.0.2']);
    expect(answerOf(servedTable(swap), 'app-1-t0.marathon.mesos')).not.toBeNull();
  });

  it('waits for a reader that holds it, and is freed once that reader lets go', async () => {
    const swap = newSwap();
    const one = zoneOf(1);
    const first = await serve(swap, one);
    const expected = [...one.records.srv];
    const release = one.records.hold?.();
    expect(release).toBeTypeOf('function');

    await serve(swap, zoneOf(2));
    await nextSweep();
    expect(first.isFreed).toBe(false);
    expect(swap.retiring).toBe(1);
    // The holder still reads the records it started with.
    expect([...one.records.srv]).toEqual(expected);

    release?.();
    release?.(); // a second call does nothing
    await nextSweep();
    expect(first.isFreed).toBe(true);
    expect(swap.retiring).toBe(0);
  });

  it('waits while a UDP send is queued', async () => {
    let quiet = false;
    const swap = newSwap(() => quiet);
    const first = await serve(swap, zoneOf(1));
    await serve(swap, zoneOf(2));
    await nextSweep();
    expect(first.isFreed).toBe(false);
    quiet = true;
    await nextSweep();
    expect(first.isFreed).toBe(true);
  });

  it('is kept while another server still answers from its zone', async () => {
    const [left, right] = [newSwap(), newSwap()];
    const shared = zoneOf(1);
    const leftTable = await serve(left, shared);
    const rightTable = await serve(right, shared);
    // The zone reads its records from the first table built for it, the left one.
    expect(shared.readsFrom(leftTable)).toBe(true);

    await serve(left, zoneOf(2));
    await nextSweep();
    // The right server answers from `shared` still, and its general path reads the left table's records.
    expect(leftTable.isFreed).toBe(false);
    expect(shared.records.a.get('app-3-t1.marathon.mesos.')).toEqual(['10.1.0.7']);

    await serve(right, zoneOf(3));
    // The right table was never read by the zone: freed at once. The left one at the left server's next check.
    expect(rightTable.isFreed).toBe(true);
    await nextSweep();
    expect(leftTable.isFreed).toBe(true);
  });

  it('is not freed while a build for a newer zone is abandoned', async () => {
    const swap = newSwap();
    const first = await serve(swap, zoneOf(1));
    const big = zoneOf(2, 20_000);
    swap.offer(big);
    expect(swap.pending).toBe(true);
    // A newer zone replaces the build in progress; the first table is served until that one is built.
    swap.offer(zoneOf(3));
    expect(servedTable(swap)).toBe(first);
    expect(first.isFreed).toBe(false);
    expect(big.inService).toBe(false);
    await swap.settled();
    expect(first.isFreed).toBe(true);
  });
});

describe('a build given up before its end', () => {
  it('frees its arena and lists at once', async () => {
    const zone = zoneOf(1, 20_000);
    const builder = new TableBuilder(zone);
    // Past the names (about 60k with their parents), into the answers: the arena is allocated for the whole table.
    expect(builder.step(100_000)).toBeNull();
    const before = process.memoryUsage().arrayBuffers;
    builder.abandon();
    await sleep(20);
    expect(before - process.memoryUsage().arrayBuffers).toBeGreaterThan(1 << 20);
    // Done with: it builds nothing more.
    expect(builder.step(Number.POSITIVE_INFINITY)).toBeNull();
  });

  it('is abandoned by TableSwap when a newer zone replaces it', async () => {
    const swap = newSwap();
    await serve(swap, zoneOf(1));
    const base = process.memoryUsage().arrayBuffers;
    swap.offer(zoneOf(2, 40_000));
    // Let the big build run, in slices, until it has allocated its arena (about 6 MB for these 120k names).
    const deadline = performance.now() + 20_000;
    while (process.memoryUsage().arrayBuffers - base < 4 << 20 && performance.now() < deadline) await sleep(5);
    expect(swap.pending).toBe(true);
    const before = process.memoryUsage().arrayBuffers;
    expect(before - base).toBeGreaterThanOrEqual(4 << 20);
    swap.offer(zoneOf(3));
    await sleep(20);
    expect(before - process.memoryUsage().arrayBuffers).toBeGreaterThan(3 << 20);
    await swap.settled();
    expect(answerOf(servedTable(swap), 'app-1-t0.marathon.mesos')).not.toBeNull();
  });
});

describe('/v1/axfr while the zone is replaced', () => {
  let api: HttpApi | null = null;
  afterEach(async () => {
    await api?.close();
    api = null;
  });

  it('writes the whole body from the zone it started with, then lets its table go', async () => {
    const swap = newSwap();
    let zone = zoneOf(1, 20_000);
    const first = await serve(swap, zone);
    const records = zone.records;
    const document = {
      TTL: 60,
      Serial: 1,
      RefreshSeconds: 60,
      Mname: 'ns1.mesos.',
      Rname: 'root.ns1.mesos.',
      Domain: 'mesos',
      Records: {
        As: Object.fromEntries(records.a),
        AAAAs: {},
        SRVs: Object.fromEntries([...records.srv].map(([name, targets]) => [name, targets.map((t) => `${t.target}:${t.port}`)])),
      },
    };
    const view = (): HttpView => ({
      records: zone.records,
      enumerate: function* () {
        return [];
      },
      domain: 'mesos',
      ttl: 60,
      serial: 1,
      refreshSeconds: 60,
      mname: 'ns1.mesos.',
      rname: 'root.ns1.mesos.',
      enumerationOn: true,
      version: 'test',
      config: {},
    });
    api = new HttpApi(view, pino({ level: 'silent' }));
    const port = await api.start(0, '127.0.0.1');
    const response = await fetch(`http://127.0.0.1:${port}/v1/axfr`);
    const reader = response.body?.getReader();
    if (reader === undefined) throw new Error('no body');
    const decoder = new TextDecoder();
    let text = '';
    const firstChunk = await reader.read();
    text += decoder.decode(firstChunk.value, { stream: true });

    // A newer zone is served meanwhile; the body's table is held, not freed.
    zone = zoneOf(2);
    await serve(swap, zone);
    await nextSweep();
    expect(first.isFreed).toBe(false);

    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    expect(text.length).toBeGreaterThan(1_000_000);
    expect(text).toBe(`${JSON.stringify(document, null, 2)}\n`);
    await nextSweep();
    expect(first.isFreed).toBe(true);
  });
});
