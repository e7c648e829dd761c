// Test helper: builds a Zone in-process from a recorded Mesos state, and asks it questions through answer().
// Pure apart from reading the fixture file.
import { readFileSync } from 'node:fs';
import dns2 from 'dns2';
import { answer, type AnswerOptions, type Query } from '../../dns/answer.js';
import { buildRecords, type RecordOptions, type RecordSet } from '../../dns/records.js';
import { Zone } from '../../dns/zone.js';
import { TYPE } from '../../dns/wire.js';
import { normalizeMesos, parseMesosState } from '../../state-poller/normalize.js';
import { splitHostPort } from '../../state-poller/upid.js';
import type { HostPort } from '../../state-poller/model.js';

export const fixture = (path: string): URL => new URL(`../fixtures/mesos-dns/${path}`, import.meta.url);

export const RECORD_OPTIONS: RecordOptions = {
  domain: 'mesos',
  spec: 'rfc1123',
  ipSources: ['netinfo', 'mesos', 'host'],
  masters: [splitHostPort('127.0.0.1:15050') as HostPort],
  nsName: 'ns1.mesos.',
  nsAddresses: ['127.0.0.1'],
  legacyDiscoveryNames: true,
};

export function recordsFromFile(path: string, options: Partial<RecordOptions> = {}): RecordSet {
  const parsed = parseMesosState(JSON.parse(readFileSync(fixture(path), 'utf8')) as unknown);
  if (!parsed.ok) throw new Error(parsed.message);
  const { state } = normalizeMesos(parsed.doc, new Map([['localhost', ['127.0.0.1']]]));
  return buildRecords(state, { ...RECORD_OPTIONS, ...options });
}

export function zoneOf(records: RecordSet, minimum = 60): Zone {
  return new Zone(records, {
    ttl: 60,
    srvWeight: 1,
    soa: { mname: 'ns1.mesos.', rname: 'root.ns1.mesos.', serial: 7, refresh: 60, retry: 600, expire: 86400, minimum },
  });
}

export interface Ask {
  readonly transport?: 'udp' | 'tcp';
  readonly edns?: number | null;
  readonly rotation?: number;
  readonly qclass?: number;
  readonly opcode?: number;
  readonly forwarding?: boolean;
}

export type Decoded = InstanceType<typeof dns2.Packet>;

/** Asks the zone one question and decodes the reply with dns2 (an independent decoder). */
export function ask(zone: Zone | null, name: string, type: keyof typeof TYPE, opts: Ask = {}): { packet: Decoded; bytes: Buffer; truncated: boolean } {
  const query: Query = {
    id: 0x4242,
    opcode: opts.opcode ?? 0,
    rd: true,
    qdcount: 1,
    name,
    type: TYPE[type],
    qclass: opts.qclass ?? 1,
    edns: opts.edns === undefined || opts.edns === null ? null : { udpSize: opts.edns, version: 0 },
  };
  const options: AnswerOptions = {
    transport: opts.transport ?? 'udp',
    rotation: opts.rotation ?? 0,
    recursionAvailable: true,
    forwarding: opts.forwarding ?? false,
    setTruncateBit: true,
  };
  const outcome = answer(zone, 'mesos.', query, options);
  if (outcome.kind !== 'reply') throw new Error('expected a reply, got a forward');
  return { packet: dns2.Packet.parse(outcome.reply), bytes: outcome.reply, truncated: outcome.truncated };
}

/** Answer records as "name type value" strings, lower case, sorted. */
export function rows(records: readonly { name: string; type: number; address?: string; target?: string; port?: number; ns?: string; primary?: string }[]): string[] {
  const typeName = new Map<number, string>(Object.entries(TYPE).map(([k, v]) => [v, k]));
  // dns2 prints names without the trailing dot; these rows use fully qualified names, as dig does.
  const fq = (name: string): string => `${name.toLowerCase()}.`;
  return records
    .map((r) => {
      const value = r.address ?? (r.target !== undefined ? `${fq(r.target)}:${r.port}` : fq(r.ns ?? r.primary ?? ''));
      return `${fq(r.name)} ${typeName.get(r.type) ?? r.type} ${value.toLowerCase()}`;
    })
    .sort();
}
