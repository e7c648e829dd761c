// The fast path (fast-path.ts over an AnswerTable) against the general path (dns2 decode + answer()): for a table
// of questions and for random well-formed ones, every reply the fast path gives is byte for byte answer()'s, for
// the same rotation; the shapes it must leave to the general path give null.
import dns2 from 'dns2';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { answer, type AnswerOptions } from '../../dns/answer.js';
import { SLOT, SLOTS, type AnswerTable } from '../../dns/answer-table.js';
import { fastAnswer } from '../../dns/fast-path.js';
import { queryFromPacket } from '../../dns/query.js';
import { TableBuilder } from '../../dns/table-builder.js';
import type { Zone } from '../../dns/zone.js';
import type { RecordSet } from '../../dns/records.js';
import { recordsFromFile, zoneOf } from '../helpers/zone.js';
import { question, questionWithPointer, type Ask } from './question-bytes.js';

const served = zoneOf(recordsFromFile('generated/served-master-state.json'));
const wide = zoneOf(recordsFromFile('synthetic/wide-100.master-state.json'));

function tableOf(zone: Zone): AnswerTable {
  const table = new TableBuilder(zone).step(Number.POSITIVE_INFINITY);
  if (table === null) throw new Error('the build did not finish');
  return table;
}

const tables = new Map<Zone, AnswerTable>([
  [served, tableOf(served)],
  [wide, tableOf(wide)],
]);

interface Context {
  readonly transport: 'udp' | 'tcp';
  readonly rotation: number;
  readonly recursionAvailable: boolean;
  readonly setTruncateBit: boolean;
}

const DEFAULT: Context = { transport: 'udp', rotation: 0, recursionAvailable: true, setTruncateBit: true };

/** What the server's general path would send: dns2 decodes, answer() replies (null: dropped or forwarded). */
function general(zone: Zone, bytes: Buffer, ctx: Context): Buffer | null {
  let packet: InstanceType<typeof dns2.Packet>;
  try {
    packet = dns2.Packet.parse(bytes);
  } catch {
    return null;
  }
  if (packet.header.qr === 1) return null;
  const options: AnswerOptions = { ...ctx, forwarding: false };
  const outcome = answer(zone, 'mesos.', queryFromPacket(packet), options);
  return outcome.kind === 'reply' ? outcome.reply : null;
}

function fast(zone: Zone, bytes: Buffer, ctx: Context): Buffer | null {
  const table = tables.get(zone);
  if (table === undefined) throw new Error('no table');
  const fresh = fastAnswer(table, bytes, ctx.transport, ctx.rotation, ctx, { qtype: 0, rcode: 0, truncated: false });
  // Written into the table's reply area (the UDP server's way) it must be the same bytes; compared at once, as
  // the next reply written there replaces it.
  const inArea = fastAnswer(table, bytes, ctx.transport, ctx.rotation, ctx, { qtype: 0, rcode: 0, truncated: false }, true);
  expect(inArea?.toString('hex') ?? null).toBe(fresh?.toString('hex') ?? null);
  return fresh;
}

const hex = (b: Buffer | null): string | null => (b === null ? null : b.toString('hex'));

describe('the fast path gives answer()\'s bytes', () => {
  const cases: [string, Zone, Ask, Partial<Context>][] = [
    ['A of a task', served, { name: 'chronos.marathon.mesos', type: 1 }, {}],
    ['A, mixed case (0x20)', served, { name: 'ChRoNoS.MARATHON.mesos', type: 1 }, {}],
    ['A of two tasks, rotated', served, { name: 'liquor-store.marathon.mesos', type: 1 }, { rotation: 1 }],
    ['AAAA from netinfo', served, { name: 'toy-store.ipv6-framework.mesos', type: 28 }, {}],
    ['SRV with glue', served, { name: '_liquor-store._tcp.marathon.mesos', type: 33 }, {}],
    ['SRV of a named port, rotated', served, { name: '_http._liquor-store._tcp.marathon.mesos', type: 33 }, { rotation: 3 }],
    ['SOA at the apex', served, { name: 'mesos', type: 6 }, {}],
    ['NS at the apex, upper case', served, { name: 'MESOS', type: 2 }, {}],
    ['ANY at the apex', served, { name: 'mesos', type: 255 }, {}],
    ['ANY with A and AAAA', served, { name: 'slave.mesos', type: 255 }, { rotation: 2 }],
    ['ANY with one type', served, { name: 'chronos.marathon.mesos', type: 255 }, {}],
    ['NODATA: AAAA of an A-only name', served, { name: 'chronos.marathon.mesos', type: 28 }, {}],
    ['NODATA: TXT', served, { name: 'chronos.marathon.mesos', type: 16 }, {}],
    ['NODATA: an empty non-terminal', served, { name: 'marathon.slave.mesos', type: 1 }, {}],
    ['NODATA: SOA below the apex', served, { name: 'slave.mesos', type: 6 }, {}],
    ['NODATA: type 0 and type OPT', served, { name: 'leader.mesos', type: 41 }, {}],
    ['NXDOMAIN', served, { name: 'missing.mesos', type: 1 }, {}],
    ['NXDOMAIN for a missing SRV name', served, { name: '_missing._tcp.marathon.mesos', type: 33 }, {}],
    ['NXDOMAIN under the SOA mname (compressed into it)', served, { name: 'x.ns1.mesos', type: 1 }, {}],
    ['NXDOMAIN under the SOA rname', served, { name: 'a.root.ns1.mesos', type: 1 }, {}],
    ['NXDOMAIN named like the mname label', served, { name: 'ns1.x.mesos', type: 1 }, {}],
    ['the name server itself', served, { name: 'ns1.mesos', type: 1 }, {}],
    ['class ANY', served, { name: 'leader.mesos', type: 1, qclass: 255 }, {}],
    ['RD clear, RA off', served, { name: 'leader.mesos', type: 1, rd: false }, { recursionAvailable: false }],
    ['AA and CD bits in the query are ignored', served, { name: 'leader.mesos', type: 1, flags: 0x0410 }, {}],
    ['EDNS 512', wide, { name: 'app-0.marathon.mesos', type: 1, edns: 512 }, {}],
    ['EDNS 0 (means 512)', wide, { name: 'app-0.marathon.mesos', type: 1, edns: 0 }, {}],
    ['EDNS 1232', wide, { name: 'app-0.marathon.mesos', type: 1, edns: 1232 }, { rotation: 17 }],
    ['EDNS 4096, all 95', wide, { name: 'app-0.marathon.mesos', type: 1, edns: 4096 }, { rotation: 94 }],
    ['EDNS 65535', wide, { name: '_http._app-0._tcp.marathon.mesos', type: 33, edns: 65535 }, {}],
    ['EDNS with a COOKIE option (as dig sends)', served, { name: 'chronos.marathon.mesos', type: 1, edns: 1232, cookie: true }, {}],
    ['plain UDP truncated at 512, TC', wide, { name: 'app-0.marathon.mesos', type: 1 }, { rotation: 40 }],
    ['truncated without TC (SetTruncateBit off)', wide, { name: 'app-0.marathon.mesos', type: 1 }, { setTruncateBit: false, rotation: 95 }],
    ['SRV: glue dropped first, no TC', wide, { name: '_http._app-0._tcp.marathon.mesos', type: 33, edns: 4096 }, { rotation: 5 }],
    ['SRV truncated at 512', wide, { name: '_app-0._tcp.marathon.mesos', type: 33 }, { rotation: 1000 }],
    ['TCP is complete', wide, { name: 'app-0.marathon.mesos', type: 1 }, { transport: 'tcp', rotation: 3 }],
    ['TCP SRV with glue', wide, { name: '_app-0._tcp.marathon.mesos', type: 33 }, { transport: 'tcp' }],
  ];

  it.each(cases)('%s', (_title, zone, ask, ctx) => {
    const bytes = question(ask);
    const got = fast(zone, bytes, { ...DEFAULT, ...ctx });
    expect(got, 'the fast path serves this shape').not.toBeNull();
    expect(hex(got)).toBe(hex(general(zone, bytes, { ...DEFAULT, ...ctx })));
  });
});

describe('shapes the fast path leaves to the general path', () => {
  const base: Ask = { name: 'chronos.marathon.mesos', type: 1 };
  it.each([
    ['a compression pointer in the question', questionWithPointer()],
    ['a response (QR set)', question({ ...base, flags: 0x8000 })],
    ['opcode NOTIFY', question({ ...base, flags: 4 << 11 })],
    ['two questions', question({ ...base, qdcount: 2 })],
    ['a wrong class (CHAOS)', question({ ...base, qclass: 3 })],
    ['a name outside the zone', question({ ...base, name: 'example.com' })],
    ['EDNS version 1', question({ ...base, edns: 1232, ednsVersion: 1 })],
    ['EDNS client subnet', question({ ...base, edns: 1232, ecs: true })],
    ['trailing bytes', Buffer.concat([question(base), Buffer.from([0])])],
    ['a "." inside a label', question(base, ['chronos.marathon', 'mesos'])],
    ['the root name', question({ ...base, name: '' })],
    ['non-ASCII bytes in a label', question({ ...base, name: 'caf\u00e9.mesos' })],
  ])('%s', (_title, bytes) => {
    expect(fast(served, bytes, DEFAULT)).toBeNull();
  });

  it('the general path still answers a question whose name uses a compression pointer', () => {
    const reply = general(served, questionWithPointer(), DEFAULT);
    expect(reply).not.toBeNull();
    const decoded = dns2.Packet.parse(reply ?? Buffer.alloc(0));
    expect(decoded.answers.map((r) => r.address)).toEqual(['1.2.3.11']);
  });
});

// ---------------------------------------------------------------------------------------------------------------

const labelArb = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('chronos', 'marathon', 'mesos', 'slave', 'leader', 'master', 'ns1', 'root', '_tcp', '_udp', '_http', '_liquor-store', 'liquor-store', 'app-0', 'app-1', '_app-0', 'ipv6-framework', 'toy-store') },
  { weight: 2, arbitrary: fc.stringMatching(/^[a-zA-Z0-9_-]{1,20}$/) },
  { weight: 1, arbitrary: fc.constantFrom('MESOS', 'Marathon', 'CHRONOS', 'App-0', '*') },
);

const askArb: fc.Arbitrary<Ask> = fc.record({
  name: fc.array(labelArb, { minLength: 1, maxLength: 6 }).map((labels) => [...labels, 'mesos'].join('.')),
  type: fc.oneof({ weight: 5, arbitrary: fc.constantFrom(1, 28, 33, 255, 6, 2, 16) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffff }) }),
  qclass: fc.constantFrom(1, 1, 1, 255),
  rd: fc.boolean(),
  edns: fc.option(fc.oneof(fc.constantFrom(0, 512, 1232, 4096), fc.integer({ min: 0, max: 0xffff })), { nil: null }),
  cookie: fc.boolean(),
  id: fc.integer({ min: 0, max: 0xffff }),
});

const contextArb: fc.Arbitrary<Context> = fc.record({
  transport: fc.constantFrom('udp' as const, 'udp' as const, 'tcp' as const),
  rotation: fc.nat({ max: 5000 }),
  recursionAvailable: fc.boolean(),
  setTruncateBit: fc.boolean(),
});

describe('random well-formed questions', () => {
  it('get the same reply bytes from both paths, for the same rotation', () => {
    let servedFast = 0;
    let runs = 0;
    fc.assert(
      fc.property(fc.constantFrom(served, wide), askArb, contextArb, (zone, ask, ctx) => {
        runs++;
        const bytes = question(ask);
        const got = fast(zone, bytes, ctx);
        if (got === null) return;
        servedFast++;
        expect(hex(got)).toBe(hex(general(zone, bytes, ctx)));
      }),
      { numRuns: 3000 },
    );
    // Every generated question is in the zone and of a served shape, so the property is not vacuous.
    expect(servedFast).toBe(runs);
  });
});

describe('SRV sets that encode to the same bytes share one entry', () => {
  it('every SRV name of both zones gets the general path\'s bytes: SRV and ANY, plain UDP, EDNS and TCP', () => {
    let names = 0;
    const ways: [Context, number | null][] = [
      [{ ...DEFAULT, rotation: 7 }, null],
      [{ ...DEFAULT, rotation: 3 }, 4096],
      [{ ...DEFAULT, transport: 'tcp' }, null],
    ];
    for (const zone of [served, wide]) {
      for (const name of zone.records.srv.keys()) {
        names++;
        for (const type of [33, 255]) {
          for (const [ctx, edns] of ways) {
            const bytes = question({ name: name.slice(0, -1), type, edns });
            expect(hex(fast(zone, bytes, ctx)), `${name} ${type}`).toBe(hex(general(zone, bytes, ctx)));
          }
        }
      }
    }
    expect(names).toBeGreaterThan(40);
  });

  it("a task's _tcp and _udp names share it (with DiscoveryInfo, next to each other); other targets do not", () => {
    const table = tableOf(wide);
    const entry = (name: string): number => table.slots[table.numberOf(name) * SLOTS + SLOT.SRV] ?? -1;
    const tcp = entry('_app-0._tcp.marathon.slave.mesos.');
    expect(tcp).toBeGreaterThanOrEqual(0);
    expect(entry('_app-0._udp.marathon.slave.mesos.')).toBe(tcp);
    expect(entry('_app-1._tcp.marathon.slave.mesos.')).not.toBe(tcp);
    // The named port's set has only some of the records: its own entry.
    expect(entry('_http._app-0._tcp.marathon.mesos.')).not.toBe(entry('_app-0._tcp.marathon.mesos.'));
  });

  it('the same targets under a question of another shape are encoded again (the compression differs)', () => {
    const target = { target: 'web.x.mesos.', port: 80 };
    const other = { target: 'db.x.mesos.', port: 80 };
    const records: RecordSet = {
      apex: 'mesos.',
      a: new Map([
        ['web.x.mesos.', ['10.9.0.1']],
        ['db.x.mesos.', ['10.9.0.2']],
      ]),
      aaaa: new Map(),
      // In this order: _a and _b have the same shape (shared); _cc is longer and _a.y sits under another parent
      // (each encoded again); _d has other targets; _e the same shape and targets as _a but another port.
      srv: new Map([
        ['_a._tcp.x.mesos.', [target, other]],
        ['_b._tcp.x.mesos.', [{ ...target }, { ...other }]],
        ['_e._tcp.x.mesos.', [target, { ...other, port: 81 }]],
        ['_cc._tcp.x.mesos.', [target, other]],
        ['_a._tcp.y.mesos.', [target, other]],
        ['_d._tcp.x.mesos.', [target]],
        // A task without DiscoveryInfo: _tcp under slave, _tcp, then _udp of each (two sets apart).
        ['_t._tcp.x.slave.mesos.', [other]],
        ['_t._tcp.x.mesos.', [target]],
        ['_t._udp.x.slave.mesos.', [other]],
        ['_t._udp.x.mesos.', [target]],
      ]),
      frameworks: [],
      diagnostics: [],
    };
    const zone = zoneOf(records);
    const table = new TableBuilder(zone).step(Number.POSITIVE_INFINITY);
    if (table === null) throw new Error('the build did not finish');
    tables.set(zone, table);
    const entry = (name: string): number => table.slots[table.numberOf(name) * SLOTS + SLOT.SRV] ?? -1;
    expect(entry('_b._tcp.x.mesos.')).toBe(entry('_a._tcp.x.mesos.'));
    expect(new Set(['_a._tcp.x.mesos.', '_cc._tcp.x.mesos.', '_a._tcp.y.mesos.', '_d._tcp.x.mesos.', '_e._tcp.x.mesos.'].map(entry)).size).toBe(5);
    expect(entry('_t._udp.x.slave.mesos.')).toBe(entry('_t._tcp.x.slave.mesos.'));
    expect(entry('_t._udp.x.mesos.')).toBe(entry('_t._tcp.x.mesos.'));
    for (const name of records.srv.keys()) {
      for (const ctx of [DEFAULT, { ...DEFAULT, rotation: 1 }, { ...DEFAULT, transport: 'tcp' as const }]) {
        const bytes = question({ name: name.slice(0, -1), type: 33 });
        expect(hex(fast(zone, bytes, ctx)), name).toBe(hex(general(zone, bytes, ctx)));
      }
    }
  });
});
