// Swapping zones while answering: the old zone and table are answered from until the new table is built (in
// slices, between questions), every reply comes wholly from one zone, and a newer zone replaces a build in progress.
import dgram from 'node:dgram';
import dns2 from 'dns2';
import { afterEach, describe, expect, it } from 'vitest';
import type { RecordSet } from '../../dns/records.js';
import type { DnsServer } from '../../dns/server.js';
import { fastAnswer } from '../../dns/fast-path.js';
import { TableSwap } from '../../dns/table-swap.js';
import { Zone } from '../../dns/zone.js';
import { question } from './question-bytes.js';
import { loopbackDnsServer } from '../helpers/dns-server.js';

const APPS = 5000;

/** APPS apps of three tasks; generation g puts every address under 10.g.0.0/16 and makes g the SOA serial. */
function zoneOf(generation: number): Zone {
  const a = new Map<string, string[]>();
  const srv = new Map<string, { target: string; port: number }[]>();
  for (let i = 0; i < APPS; i++) {
    const ips: string[] = [];
    const targets: { target: string; port: number }[] = [];
    for (let k = 0; k < 3; k++) {
      const n = i * 3 + k;
      const ip = `10.${generation}.${(n >> 8) & 0xff}.${n & 0xff}`;
      const target = `app-${i}-t${k}.marathon.mesos.`;
      ips.push(ip);
      a.set(target, [ip]);
      targets.push({ target, port: 31000 + k });
    }
    a.set(`app-${i}.marathon.mesos.`, ips);
    srv.set(`_app-${i}._tcp.marathon.mesos.`, targets);
  }
  const records: RecordSet = { apex: 'mesos.', a, aaaa: new Map(), srv, frameworks: [], diagnostics: [] };
  return new Zone(records, {
    ttl: 60,
    srvWeight: 1,
    soa: { mname: 'ns1.mesos.', rname: 'root.ns1.mesos.', serial: generation, refresh: 60, retry: 600, expire: 86400, minimum: 60 },
  });
}

const FAST = { recursionAvailable: true, setTruncateBit: true };
const ask = (name: string, type = 1, id = 1): Buffer => question({ name, type, id });

/** The generation(s) a decoded reply's records come from: address octet 2, or the SOA serial. */
function generationsOf(reply: Buffer): Set<number> {
  const packet = dns2.Packet.parse(reply);
  const found = new Set<number>();
  for (const r of [...packet.answers, ...packet.additionals] as { address?: string }[]) {
    if (r.address !== undefined) found.add(Number(r.address.split('.')[1]));
  }
  for (const r of packet.authorities as { serial?: number }[]) if (r.serial !== undefined) found.add(r.serial);
  return found;
}

describe('TableSwap', () => {
  it('answers from the old zone and table until the new table is built, then from the new one', async () => {
    const swap = new TableSwap(0.05);
    const [one, two] = [zoneOf(1), zoneOf(2)];
    const built = one.records;
    swap.offer(one);
    // The first zone is answered at once, through the general path, while its table is built.
    expect(swap.current).toEqual({ zone: one, table: null });
    expect(swap.pending).toBe(true);
    expect(one.records).toBe(built);
    await swap.settled();
    expect(swap.current.zone).toBe(one);
    // Swapped in, the zone reads its records from the table (the maps they were built in can go): the same records.
    expect(one.records).not.toBe(built);
    expect([...one.records.a]).toEqual([...built.a]);
    expect([...one.records.srv]).toEqual([...built.srv]);
    const oldTable = swap.current.table;
    expect(oldTable).not.toBeNull();

    swap.offer(two);
    expect(swap.pending).toBe(true);
    expect(swap.current.zone).toBe(one);
    expect(swap.current.table).toBe(oldTable);
    const during = swap.current.table === null ? null : fastAnswer(swap.current.table, ask('app-7.marathon.mesos'), 'udp', 0, FAST, { qtype: 0, rcode: 0, truncated: false });
    expect(during === null ? null : [...generationsOf(during)]).toEqual([1]);
    await swap.settled();
    expect(swap.current.zone).toBe(two);
    const after = swap.current.table === null ? null : fastAnswer(swap.current.table, ask('app-7.marathon.mesos'), 'udp', 0, FAST, { qtype: 0, rcode: 0, truncated: false });
    expect(after === null ? null : [...generationsOf(after)]).toEqual([2]);
  });

  it('abandons a build in progress for a newer zone', async () => {
    const swap = new TableSwap(0.05);
    const zones = [zoneOf(1), zoneOf(2), zoneOf(3)] as const;
    swap.offer(zones[0]);
    await swap.settled();
    swap.offer(zones[1]);
    swap.offer(zones[2]);
    await swap.settled();
    expect(swap.current.zone).toBe(zones[2]);
    // The abandoned zone is never served: its table was never finished.
    expect(swap.pending).toBe(false);
  });

  it('a small zone is swapped in before offer() returns', () => {
    const swap = new TableSwap();
    const small = new Zone({ apex: 'mesos.', a: new Map([['a.mesos.', ['10.0.0.1']]]), aaaa: new Map(), srv: new Map(), frameworks: [], diagnostics: [] }, zoneOf(0).params);
    swap.offer(small);
    expect(swap.pending).toBe(false);
    expect(swap.current.zone).toBe(small);
    expect(swap.current.table?.numberOf('a.mesos.')).toBeGreaterThanOrEqual(0);
  });
});

describe('a live server swapping zones under load', () => {
  let server: DnsServer | null = null;
  afterEach(async () => {
    await server?.close();
    server = null;
  });

  it('never sends a reply that mixes two zones, and keeps answering while a table is built', async () => {
    server = loopbackDnsServer();
    const port = await server.start();
    server.setZone(zoneOf(1));
    await server.zoneSettled();

    const client = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => client.bind(0, '127.0.0.1', () => resolve()));
    const replies: { bytes: Buffer; duringBuild: boolean }[] = [];
    const live = server;
    client.on('message', (bytes) => replies.push({ bytes, duringBuild: live.rebuilding }));
    const burst = async (round: number): Promise<void> => {
      const before = replies.length;
      for (let i = 0; i < 60; i++) {
        const n = round * 60 + i;
        const name = [`app-${n % APPS}.marathon.mesos`, `_app-${n % APPS}._tcp.marathon.mesos`, `missing-${n}.marathon.mesos`][n % 3] ?? '';
        client.send(ask(name, n % 3 === 1 ? 33 : 1, n & 0xffff), port, '127.0.0.1');
      }
      const deadline = Date.now() + 2000;
      while (replies.length < before + 60 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 1));
    };
    let round = 0;
    try {
      for (let swaps = 0; swaps < 6; swaps++) {
        // A new zone each time, as the gateway makes one per state: a zone once out of service is retired.
        server.setZone(zoneOf(1 + ((swaps + 1) % 2)));
        do await burst(round++);
        while (server.rebuilding);
      }
    } finally {
      client.close();
    }
    expect(replies.length).toBe(round * 60);
    for (const { bytes } of replies) expect(generationsOf(bytes).size).toBe(1);
    expect(replies.filter((r) => r.duringBuild).length).toBeGreaterThan(0);
    expect(server.stats.fastAnswered).toBeGreaterThan(0);
  });
});
