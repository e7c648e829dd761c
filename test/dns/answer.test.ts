// Question → answer tables for the pure answer path (CoreDNS style), over the mesos-dns fixture state.
// Replies are decoded with dns2, an independent decoder.
import { describe, expect, it } from 'vitest';
import { ask, recordsFromFile, rows, zoneOf } from '../helpers/zone.js';

const zone = zoneOf(recordsFromFile('generated/served-master-state.json'));
const wide = zoneOf(recordsFromFile('synthetic/wide-100.master-state.json'));
const RCODE = { NOERROR: 0, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;

describe('authoritative answers', () => {
  const cases: [string, string, 'A' | 'AAAA' | 'SRV' | 'SOA' | 'NS' | 'ANY' | 'TXT', keyof typeof RCODE, string[], string[]][] = [
    // [title, question, type, rcode, answer rows, authority rows]
    ['A of a task', 'chronos.marathon.mesos.', 'A', 'NOERROR', ['chronos.marathon.mesos. A 1.2.3.11'], []],
    ['case-insensitive lookup', 'ChRoNoS.MARATHON.mesos', 'A', 'NOERROR', ['chronos.marathon.mesos. A 1.2.3.11'], []],
    ['two tasks behind one name', 'liquor-store.marathon.mesos.', 'A', 'NOERROR', ['liquor-store.marathon.mesos. A 1.2.3.11', 'liquor-store.marathon.mesos. A 1.2.3.12'], []],
    ['AAAA from netinfo', 'toy-store.ipv6-framework.mesos.', 'AAAA', 'NOERROR', ['toy-store.ipv6-framework.mesos. AAAA fd01:b::1:8000:2'], []],
    [
      'SRV of a named discovery port',
      '_http._liquor-store._tcp.marathon.mesos.',
      'SRV',
      'NOERROR',
      ['_http._liquor-store._tcp.marathon.mesos. SRV liquor-store-4dfjd-0.marathon.mesos.:80', '_http._liquor-store._tcp.marathon.mesos. SRV liquor-store-zasmd-1.marathon.mesos.:80'],
      [],
    ],
    ['NODATA: a name with A but no AAAA', 'chronos.marathon.mesos.', 'AAAA', 'NOERROR', [], ['mesos. SOA ns1.mesos.']],
    ['NODATA: the apex has no A', 'mesos.', 'A', 'NOERROR', [], ['mesos. SOA ns1.mesos.']],
    ['NODATA: an empty non-terminal', 'marathon.slave.mesos.', 'A', 'NOERROR', [], ['mesos. SOA ns1.mesos.']],
    ['NODATA: TXT of a task', 'chronos.marathon.mesos.', 'TXT', 'NOERROR', [], ['mesos. SOA ns1.mesos.']],
    ['NXDOMAIN with the apex SOA', 'missing.mesos.', 'A', 'NXDOMAIN', [], ['mesos. SOA ns1.mesos.']],
    ['NXDOMAIN for an unknown SRV name', '_missing._tcp.marathon.mesos.', 'SRV', 'NXDOMAIN', [], ['mesos. SOA ns1.mesos.']],
    ['SOA at the apex, in the answer', 'mesos.', 'SOA', 'NOERROR', ['mesos. SOA ns1.mesos.'], []],
    ['NS at the apex, in the answer', 'MESOS.', 'NS', 'NOERROR', ['mesos. NS ns1.mesos.'], []],
    ['SOA below the apex is NODATA', 'slave.mesos.', 'SOA', 'NOERROR', [], ['mesos. SOA ns1.mesos.']],
    ['ANY gives every type at the name', 'slave.mesos.', 'ANY', 'NOERROR', ['slave.mesos. A 1.2.3.10', 'slave.mesos. A 1.2.3.11', 'slave.mesos. A 1.2.3.12', 'slave.mesos. AAAA 2001:db8::1'], []],
    ['the name server A record', 'ns1.mesos.', 'A', 'NOERROR', ['ns1.mesos. A 127.0.0.1'], []],
    ['leader', 'leader.mesos.', 'A', 'NOERROR', ['leader.mesos. A 127.0.0.1'], []],
  ];

  it.each(cases)('%s: %s %s', (_title, name, type, rcode, answer, authority) => {
    const { packet } = ask(zone, name, type);
    expect(packet.header.rcode).toBe(RCODE[rcode]);
    expect(packet.header.aa).toBe(1);
    expect(rows(packet.answers)).toEqual([...answer].sort());
    expect(rows(packet.authorities)).toEqual(authority);
    expect(packet.questions[0]?.name).toBe(name.replace(/\.$/, ''));
  });

  it('adds the address of each SRV target as additional data', () => {
    const { packet } = ask(zone, '_liquor-store._tcp.marathon.mesos.', 'SRV');
    expect(rows(packet.additionals.filter((r) => r.type !== 41))).toEqual([
      'liquor-store-4dfjd-0.marathon.mesos. A 1.2.3.11',
      'liquor-store-zasmd-1.marathon.mesos. A 1.2.3.12',
    ]);
  });

  it('uses SOAMinttl for negative caching, not the record TTL', () => {
    const { packet } = ask(zoneOf(recordsFromFile('generated/served-master-state.json'), 5), 'missing.mesos.', 'A');
    const soa = packet.authorities[0] as unknown as { ttl: number; minimum: number };
    expect([soa.ttl, soa.minimum]).toEqual([5, 5]);
  });
});

describe('the answer cache', () => {
  it('grows with existing names only: random missing names and odd types add nothing', () => {
    const fresh = zoneOf(recordsFromFile('generated/served-master-state.json'));
    ask(fresh, 'chronos.marathon.mesos.', 'A');
    ask(fresh, 'chronos.marathon.mesos.', 'TXT');
    const before = fresh.cachedAnswers;
    for (let i = 0; i < 1000; i++) ask(fresh, `random-${i}.marathon.mesos.`, 'A');
    ask(fresh, 'chronos.marathon.mesos.', 'TXT');
    expect(before).toBe(2);
    expect(fresh.cachedAnswers).toBe(2);
  });
});

describe('outside the zone and errors', () => {
  it.each([
    ['REFUSED when forwarding is off', 'example.com.', { forwarding: false }, RCODE.REFUSED],
    ['SERVFAIL in the domain before the first state', 'leader.mesos.', {}, RCODE.SERVFAIL],
    ['NOTIMP for an opcode other than QUERY', 'leader.mesos.', { opcode: 2 }, RCODE.NOTIMP],
    ['REFUSED for class CHAOS', 'leader.mesos.', { qclass: 3 }, RCODE.REFUSED],
  ] as const)('%s', (title, name, opts, rcode) => {
    const target = title.includes('before the first state') ? null : zone;
    expect(ask(target, name, 'A', opts).packet.header.rcode).toBe(rcode);
  });
});

describe('EDNS0 and truncation (95 tasks behind app-0.marathon.mesos)', () => {
  const name = 'app-0.marathon.mesos.';

  it.each([
    // [title, transport, EDNS buffer, answers expected, TC expected]
    ['plain UDP is capped at 512 bytes, whole records, TC set (the 29 mesos-dns serves)', 'udp', null, 29, true],
    ['an EDNS buffer of 512 leaves room for the OPT record too', 'udp', 512, 28, true],
    ['an EDNS buffer of 1232 carries 73 records', 'udp', 1232, 73, true],
    ['an EDNS buffer of 4096 carries all 95, no TC (mesos-dns still truncates at 29)', 'udp', 4096, 95, false],
    ['TCP is complete', 'tcp', null, 95, false],
  ] as const)('%s', (_title, transport, edns, count, tc) => {
    const { packet, bytes } = ask(wide, name, 'A', { transport, edns });
    expect(packet.answers).toHaveLength(count);
    expect(packet.header.tc).toBe(tc ? 1 : 0);
    expect(bytes.length).toBeLessThanOrEqual(transport === 'tcp' ? 65535 : Math.max(512, edns ?? 512));
    // An OPT record comes back exactly when the client sent one, advertising our buffer size.
    const opt = packet.additionals.find((r) => r.type === 41);
    expect(opt === undefined).toBe(edns === null);
  });

  it('drops additional records before answers, without setting TC', () => {
    // 100 SRV answers (2 ports × 95 tasks is too many; take the http port): additional A records go first.
    const { packet } = ask(wide, '_http._app-0._tcp.marathon.mesos.', 'SRV', { edns: 4096 });
    expect(packet.additionals.filter((r) => r.type !== 41)).toHaveLength(0);
    expect(packet.answers.length).toBe(95);
    expect(packet.header.tc).toBe(0);
  });

  it('rotates the answer section so truncated replies carry different subsets', () => {
    const first = rows(ask(wide, name, 'A', { rotation: 0 }).packet.answers);
    const later = rows(ask(wide, name, 'A', { rotation: 40 }).packet.answers);
    expect(first).toHaveLength(29);
    expect(later).toHaveLength(29);
    expect(later).not.toEqual(first);
  });
});
