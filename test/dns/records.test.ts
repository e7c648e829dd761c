// Record-builder tables: mesos-dns's TestMasterRecord cases, the long-label rule, and names that cannot be published.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildRecords, masterRecordsOnly, type RecordOptions, type RecordSet } from '../../dns/records.js';
import type { MesosState, Task } from '../../state-poller/model.js';
import { normalizeMesos, parseMesosState } from '../../state-poller/normalize.js';
import { parseUpid, splitHostPort } from '../../state-poller/upid.js';
import { RECORD_OPTIONS, fixture } from '../helpers/zone.js';

interface MasterCase {
  name: string;
  domain: string;
  masters: string[];
  leader: string;
  expect: { A: Record<string, string[]>; AAAA: Record<string, string[]>; SRV: Record<string, string[]> };
}

const masterCases = (JSON.parse(readFileSync(fixture('generated/master-records.cases.json'), 'utf8')) as { cases: MasterCase[] }).cases;

function recordsFromDoc(doc: unknown, options: RecordOptions): RecordSet {
  const parsed = parseMesosState(doc);
  if (!parsed.ok) throw new Error(parsed.message);
  return buildRecords(normalizeMesos(parsed.doc, new Map([['localhost', ['127.0.0.1']]])).state, options);
}

function asObject(set: RecordSet): MasterCase['expect'] {
  const sorted = (m: Iterable<[string, readonly string[]]>): Record<string, string[]> =>
    Object.fromEntries([...m].map(([k, v]) => [k, [...v].sort()]));
  const srv = new Map([...set.srv].map(([k, v]) => [k, v.map((t) => `${t.target}:${t.port}`)]));
  return { A: sorted(set.a), AAAA: sorted(set.aaaa), SRV: sorted(srv) };
}

// With and without /v1/enumerate's records (the gateway builds without): a master is numbered only when its master.
// record is new, which must not depend on whether the record is also kept for enumeration.
describe.each([true, false])('master and leader records (mesos-dns TestMasterRecord), enumerate %s', (enumerate) => {
  it.each(masterCases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const masters = c.masters.map((m) => splitHostPort(m)).filter((m) => m !== null);
    const set = masterRecordsOnly(c.domain, masters, parseUpid(c.leader), enumerate);
    const sortedExpect = {
      A: Object.fromEntries(Object.entries(c.expect.A).map(([k, v]) => [k, [...v].sort()])),
      AAAA: Object.fromEntries(Object.entries(c.expect.AAAA).map(([k, v]) => [k, [...v].sort()])),
      SRV: Object.fromEntries(Object.entries(c.expect.SRV).map(([k, v]) => [k, [...v].sort()])),
    };
    expect(asObject(set)).toEqual(sortedExpect);
  });
});

function stateWith(tasks: Partial<Task>[], frameworkName = 'marathon'): MesosState {
  return {
    leader: 'master@127.0.0.1:5050',
    leaderAddress: parseUpid('master@127.0.0.1:5050'),
    agents: [{ id: 'agent-S1', ips: ['127.0.1.1'], port: 5051 }],
    frameworks: [
      {
        name: frameworkName,
        ips: ['127.0.0.1'],
        port: 8080,
        tasks: tasks.map((t, i) => ({
          id: `task-${i}`,
          name: `task-${i}`,
          agentId: 'agent-S1',
          ports: [31000],
          discovery: null,
          addresses: { netinfo: [], mesos: [], docker: [] },
          ...t,
        })),
      },
    ],
  };
}

const allNames = (set: RecordSet): string[] => [...set.a.keys(), ...set.aaaa.keys(), ...set.srv.keys(), ...[...set.srv.values()].flat().map((t) => t.target)];

describe('names DNS can carry', () => {
  it('never emits a label over 63 octets: the _-prefixed SRV label of a 63-character task is shortened', () => {
    const name = 'a'.repeat(63);
    const set = buildRecords(stateWith([{ name }]), RECORD_OPTIONS);
    const labels = allNames(set).flatMap((n) => n.split('.'));
    expect(Math.max(...labels.map((l) => Buffer.byteLength(l)))).toBeLessThanOrEqual(63);
    // The plain A record keeps the full 63-character label; only the 64-octet "_aaa…" label is shortened.
    expect(set.a.has(`${name}.marathon.mesos.`)).toBe(true);
    const srvNames = [...set.srv.keys()].filter((n) => n.startsWith('_a') && n.endsWith('._tcp.marathon.mesos.'));
    expect(srvNames).toHaveLength(1);
    expect(srvNames[0]).toMatch(/^_a{56}-[a-z0-9]{5}\._tcp\.marathon\.mesos\.$/);
  });

  it('shortens stably: the same state gives the same names', () => {
    const name = `${'b'.repeat(62)}x`;
    expect(allNames(buildRecords(stateWith([{ name }]), RECORD_OPTIONS))).toEqual(allNames(buildRecords(stateWith([{ name }]), RECORD_OPTIONS)));
  });

  it('skips a task whose name has no usable characters, with a diagnostic, and keeps the others', () => {
    const set = buildRecords(stateWith([{ name: '$$$' }, { name: 'web' }]), RECORD_OPTIONS);
    expect(set.a.has('web.marathon.mesos.')).toBe(true);
    expect(set.diagnostics.map((d) => d.code)).toEqual(['SWY_DNS_NAME_SKIPPED']);
  });

  it('skips a framework whose name has no usable characters instead of publishing tasks at the apex', () => {
    const set = buildRecords(stateWith([{ name: 'web' }], '%%%'), RECORD_OPTIONS);
    expect([...set.a.keys()].some((n) => n.startsWith('web.'))).toBe(false);
    expect(set.diagnostics[0]?.subject).toBe('%%%');
  });

  it('publishes the legacy unsanitised DiscoveryInfo names only when asked to', () => {
    const discovery = { name: 'big.dog', ports: [{ number: 80, protocol: 'tcp', name: 'http' }] };
    const withLegacy = buildRecords(stateWith([{ discovery }]), RECORD_OPTIONS);
    const without = buildRecords(stateWith([{ discovery }]), { ...RECORD_OPTIONS, legacyDiscoveryNames: false });
    expect(withLegacy.a.has('big.dog.marathon.mesos.')).toBe(true);
    expect(without.a.has('big.dog.marathon.mesos.')).toBe(false);
    expect(without.srv.has('_http._big-dog._tcp.marathon.mesos.')).toBe(true);
  });

  it('uses the first IP source that has addresses, in the configured order', () => {
    const addresses = { netinfo: ['127.0.3.1'], mesos: ['127.0.3.2'], docker: ['127.0.3.3'] };
    const order = (ipSources: RecordSetOptionsSources): string[] | undefined =>
      buildRecords(stateWith([{ name: 'web', addresses }]), { ...RECORD_OPTIONS, ipSources }).a.get('web.marathon.mesos.') as string[] | undefined;
    expect(order(['docker', 'host'])).toEqual(['127.0.3.3']);
    expect(order(['host', 'netinfo'])).toEqual(['127.0.1.1']);
    expect(order(['mesos'])).toEqual(['127.0.3.2']);
  });
});

type RecordSetOptionsSources = (typeof RECORD_OPTIONS)['ipSources'];

describe('enumerate: false (what the gateway serves)', () => {
  it('gives the same records and diagnostics, with each framework but none of its per-task records', () => {
    const parsedDoc = JSON.parse(readFileSync(fixture('generated/served-master-state.json'), 'utf8')) as unknown;
    const full = recordsFromDoc(parsedDoc, RECORD_OPTIONS);
    const lean = recordsFromDoc(parsedDoc, { ...RECORD_OPTIONS, enumerate: false });
    expect(full.frameworks.some((fw) => fw.tasks.length > 0)).toBe(true);
    expect(lean.frameworks).toEqual(full.frameworks.map((fw) => ({ name: fw.name, tasks: [] })));
    expect({ ...lean, frameworks: [] }).toEqual({ ...full, frameworks: [] });
  });
});
