// The records a zone reads back from its answer table once it is built (dns/table-records.ts, Zone.adoptTable):
// the same A and SRV records, in the same order, as the RecordSet they were encoded from, and the same answers from
// the general path. For the recorded states under every record option, a synthetic cluster, and random record sets.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RecordMap, RecordSet, SrvTarget } from '../../dns/records.js';
import { TableBuilder } from '../../dns/table-builder.js';
import { tableRecords } from '../../dns/table-records.js';
import { TYPE } from '../../dns/wire.js';
import type { Zone } from '../../dns/zone.js';
import { recordsFromFile, zoneOf } from '../helpers/zone.js';

function tableOf(zone: Zone) {
  const table = new TableBuilder(zone).step(Number.POSITIVE_INFINITY);
  if (table === null) throw new Error('the build did not finish');
  return table;
}

/** Every way a map can be read, as plain data. */
function readAll<V>(map: RecordMap<V>, probes: readonly string[]) {
  return {
    size: map.size,
    entries: [...map.entries()],
    iterated: [...map],
    keys: [...map.keys()],
    values: [...map.values()],
    probes: probes.map((name) => [name, map.has(name), map.get(name)]),
  };
}

/** Names to probe: every name the zone knows (owners, empty non-terminals, the apex), and some it does not. */
function probesOf(records: RecordSet): string[] {
  const names = new Set<string>([records.apex, 'missing.mesos.', 'mesos.mesos.', 'x.', '']);
  for (const map of [records.a, records.aaaa, records.srv]) {
    for (const name of map.keys()) {
      names.add(name);
      names.add(name.slice(name.indexOf('.') + 1));
      names.add(`x.${name}`);
    }
  }
  for (const targets of records.srv.values()) for (const { target } of targets) names.add(target);
  return [...names];
}

/**
 * The table's names (kept in a map, or found through its index when that holds them all): each existing name and
 * its number, both ways, and no number for any other name.
 */
function expectNames(table: ReturnType<typeof tableOf>, records: RecordSet): void {
  const existing = new Set<string>([records.apex]);
  for (const map of [records.a, records.aaaa, records.srv]) {
    for (const name of map.keys()) for (let n = name; n.length >= records.apex.length; n = n.slice(n.indexOf('.') + 1)) existing.add(n);
  }
  expect(table.size).toBe(existing.size);
  const seen = new Set<number>();
  for (const name of existing) {
    const number = table.numberOf(name);
    expect(number, name).toBeGreaterThanOrEqual(0);
    expect(table.nameOf(number)).toBe(name);
    seen.add(number);
  }
  expect(seen.size).toBe(existing.size);
  for (const name of probesOf(records)) if (!existing.has(name)) expect(table.numberOf(name), name).toBe(-1);
}

const QUESTION_TYPES = [TYPE.A, TYPE.AAAA, TYPE.SRV, TYPE.ANY, TYPE.SOA, TYPE.NS, TYPE.TXT];

/** The table's records equal the RecordSet's, and a zone reading them gives the same answers as one that does not. */
function expectSameRecords(records: RecordSet): void {
  const zone = zoneOf(records);
  const table = tableOf(zone);
  expect(table.readsBack).toBe(true);
  expectNames(table, records);
  const probes = probesOf(records);
  const read = tableRecords(table, records);
  expect(readAll(read.a, probes)).toEqual(readAll(records.a, probes));
  expect(readAll(read.srv, probes)).toEqual(readAll(records.srv, probes));
  expect(read.aaaa).toBe(records.aaaa);
  expect([read.apex, read.frameworks, read.diagnostics]).toEqual([records.apex, records.frameworks, records.diagnostics]);

  const adopted = zoneOf(records);
  adopted.adoptTable(tableOf(adopted));
  expect(adopted.records.a).not.toBe(records.a);
  const fresh = zoneOf(records);
  for (const name of probes.filter((p) => p.endsWith(records.apex))) {
    for (const type of QUESTION_TYPES) expect(adopted.encode(name, type)).toEqual(fresh.encode(name, type));
  }
}

describe('records read back from the answer table', () => {
  it.each([
    ['the served state', {}],
    ['rfc952 names', { spec: 'rfc952' as const }],
    ['host addresses only', { ipSources: ['host' as const] }],
    ['docker, then mesos, then host addresses', { ipSources: ['docker' as const, 'mesos' as const, 'host' as const] }],
    ['without the legacy DiscoveryInfo names', { legacyDiscoveryNames: false }],
    ['with /v1/enumerate records kept', { enumerate: true }],
  ])('are the RecordSet’s for %s', (_name, options) => {
    expectSameRecords(recordsFromFile('generated/served-master-state.json', options));
  });

  it('are the RecordSet’s for a hundred-framework state', () => {
    expectSameRecords(recordsFromFile('synthetic/wide-100.master-state.json'));
  });

  // Names over a few labels, so that targets share any length of suffix with the question (or none, or all of it).
  const label = fc.constantFrom('a', 'b', 'task-1', '_tcp', '_http', 'slave', 'marathon');
  const inZone = fc.array(label, { minLength: 1, maxLength: 4 }).map((labels) => `${labels.join('.')}.mesos.`);
  // The apex too (it has A records when the name server lies in the zone), and targets outside the zone.
  const owner = fc.oneof({ weight: 9, arbitrary: inZone }, { weight: 1, arbitrary: fc.constant('mesos.') });
  const ip = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((b) => b.join('.'));
  const target = fc.record({ target: fc.oneof({ weight: 9, arbitrary: inZone }, { weight: 1, arbitrary: fc.constantFrom('c.example.', 'mesos.', 'a.mesos.example.') }), port: fc.nat(65535) });

  it('are the RecordSet’s for random record sets', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.tuple(owner, fc.array(ip, { minLength: 1, maxLength: 3 })), { selector: ([name]) => name, maxLength: 12 }), fc.uniqueArray(fc.tuple(inZone, fc.array(target, { minLength: 1, maxLength: 5 })), { selector: ([name]) => name, maxLength: 12 }), (a, srv) => {
        const records: RecordSet = {
          apex: 'mesos.',
          a: new Map<string, readonly string[]>(a),
          aaaa: new Map<string, readonly string[]>(),
          srv: new Map<string, readonly SrvTarget[]>(srv),
          frameworks: [],
          diagnostics: [],
        };
        expectSameRecords(records);
      }),
      { numRuns: 60 },
    );
  });

  it('are not adopted from a table that would not give them back, nor from another zone’s table', () => {
    const set = (a: [string, string[]][], srv: [string, SrvTarget[]][]): RecordSet => ({ apex: 'mesos.', a: new Map(a), aaaa: new Map(), srv: new Map(srv), frameworks: [], diagnostics: [] });
    const good: [string, string[]] = ['b.mesos.', ['10.0.0.2']];
    for (const records of [
      set([['caf\u00e9.mesos.', ['10.0.0.1']]], []), // a name the index cannot hold
      set([good], [['_x._tcp.mesos.', [{ target: '\u65e5.b.mesos.', port: 1 }]]]), // a target outside the zone's names, not ASCII
      set([good, ['e.mesos.', []]], []), // a name with no records at all: it gets no entry
      set([good], [['_e._tcp.mesos.', []]]),
    ]) {
      const zone = zoneOf(records);
      const table = tableOf(zone);
      expect(table.readsBack).toBe(false);
      expectNames(table, records);
      zone.adoptTable(table);
      expect(zone.records).toBe(records);
    }
    const plain = zoneOf(set([good], [['_x._tcp.mesos.', [{ target: 'b.mesos.', port: 1 }, { target: 'c.example.', port: 2 }]]]));
    const table = tableOf(plain);
    expect(table.readsBack).toBe(true);
    expectNames(table, plain.records);
    const served = zoneOf(recordsFromFile('generated/served-master-state.json'));
    const before = served.records;
    served.adoptTable(tableOf(zoneOf(before)));
    expect(served.records).toBe(before);
  });
});
