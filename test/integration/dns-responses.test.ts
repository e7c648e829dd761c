// The 37 questions recorded against mesos-dns (default-rfc1123/dns-responses.json), asked with real dig over the
// recorded transport and the other one: same rcode, flags and answer set; the authority section follows switchyard's rules, and each
// place where that differs from mesos-dns is listed below with the reason.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dig } from '../helpers/dig.js';
import { FakeMaster } from '../helpers/fake-master.js';
import { startProgram, writeConfig, type Program } from '../helpers/program.js';

const generated = new URL('../fixtures/mesos-dns/generated/', import.meta.url);
const readJson = (path: string): unknown => JSON.parse(readFileSync(new URL(path, generated), 'utf8'));

interface Recorded {
  query: { name: string; type: string; transport: 'udp' | 'tcp' };
  rcode: string;
  flags: string;
  answer: string[];
  authority: string[];
  additional: string[];
}

// The serial (0 here) is masked by comparable().
const APEX_SOA = 'mesos. 60 IN SOA ns1.mesos. root.ns1.mesos. 0 60 600 86400 60';

/** Where switchyard answers differently from mesos-dns on purpose: question → what we serve instead, and why. */
const DELIBERATE: Record<string, { rcode?: string; answer?: string[]; authority: string[]; additional?: string[]; why: string }> = {
  '_liquor-store._udp.marathon.mesos. SRV': {
    rcode: 'NXDOMAIN',
    authority: [APEX_SOA],
    why: 'the name does not exist (only its _tcp sibling does); mesos-dns says NOERROR with no SOA, which cannot be cached',
  },
  '_missing._tcp.marathon.mesos. SRV': {
    rcode: 'NXDOMAIN',
    authority: [APEX_SOA],
    why: 'an unknown SRV name is NXDOMAIN with the SOA (RFC 2308); mesos-dns says NOERROR with no SOA',
  },
  'mesos. SOA': {
    answer: [APEX_SOA],
    authority: [],
    why: 'the SOA of the apex is the answer to an SOA question; mesos-dns puts it in the authority section',
  },
  'mesos. NS': {
    answer: ['mesos. 60 IN NS ns1.mesos.'],
    authority: [],
    additional: ['ns1.mesos. 60 IN A 127.0.0.1'],
    why: 'the NS set of the apex is the answer to an NS question, with the name server address as glue',
  },
  'non-existing.mesos. SOA': {
    rcode: 'NXDOMAIN',
    authority: [APEX_SOA],
    why: 'the name does not exist; mesos-dns answers an SOA question for any name, under the wrong owner',
  },
  'slave.mesos. ANY': {
    authority: [],
    why: 'a positive answer carries no authority records; mesos-dns adds NS and SOA owned by the question name',
  },
};

/** Lower-cases names and hides the SOA serial (the Unix time of the load), so records compare across runs. */
function comparable(records: readonly string[]): string[] {
  return records
    .map((r) => r.toLowerCase().replace(/( soa \S+ \S+ )\d+/, '$1SERIAL').replace(/ soa /, ' SOA ').replace(/ in /, ' IN '))
    .map((r) => r.replace(/ (a|aaaa|srv|ns) /, (m) => m.toUpperCase()))
    .sort();
}

/** Our negative answers carry the apex SOA, as RFC 2308 says; mesos-dns names the SOA after the question. */
function apexSoa(records: readonly string[]): string[] {
  return records.map((r) => r.replace(/^\S+ (\d+ IN SOA)/, 'mesos. $1'));
}

const recorded = readJson('default-rfc1123/dns-responses.json') as Recorded[];

describe('the recorded mesos-dns questions, asked with dig', () => {
  const master = new FakeMaster({ kind: 'state', body: {} });
  let program: Program;

  beforeAll(async () => {
    await master.start('127.0.0.1', 0);
    const state = readJson('served-master-state.json') as Record<string, unknown>;
    // Keep the recorded leader (127.0.0.1:15050): its IP is the one contacted, so no redirect happens.
    master.behaviour = { kind: 'state', body: state };
    const config = readJson('default-rfc1123/config.json') as Record<string, unknown>;
    program = await startProgram(writeConfig({ ...config, masters: [`127.0.0.1:${master.port}`], port: 0, httpport: 0 }));
    await program.waitForLog((l) => l.msg === 'records updated');
  });
  afterAll(async () => {
    await program?.stop();
    await master.close();
  });

  // Each question is asked over both transports: the answers must not depend on it (all of these fit in UDP).
  const asked = recorded.flatMap((r) => (['udp', 'tcp'] as const).map((transport) => [`${r.query.name} ${r.query.type} over ${transport}`, r, transport] as const));

  it.each(asked)('%s', async (_title, r, transport) => {
    const key = `${r.query.name} ${r.query.type}`;
    const deliberate = DELIBERATE[key];
    const got = await dig(program.dnsPort, r.query.name, r.query.type, transport === 'tcp' ? ['+tcp'] : []);
    expect(got.rcode).toBe(deliberate?.rcode ?? r.rcode);
    expect(got.flags.join(' ')).toBe(r.flags.split(' ').sort().join(' '));
    expect(comparable(got.answer)).toEqual(comparable(deliberate?.answer ?? r.answer));
    expect(comparable(got.authority)).toEqual(comparable(deliberate?.authority ?? apexSoa(r.authority)));
    expect(comparable(got.additional)).toEqual(comparable(deliberate?.additional ?? r.additional));
    // The question is echoed exactly as asked (case included).
    expect(got.question[0]?.split(' ')[0]).toBe(r.query.name);
  });
});
