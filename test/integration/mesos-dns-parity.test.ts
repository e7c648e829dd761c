// Parity with mesos-dns: for each recorded configuration, the real switchyard polling a fake master that serves
// served-master-state.json publishes the same /v1/axfr record sets and /v1/enumerate tasks as mesos-dns did.
import { readFileSync, readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeMaster } from '../helpers/fake-master.js';
import { startProgram, writeConfig, type Program } from '../helpers/program.js';

const generated = new URL('../fixtures/mesos-dns/generated/', import.meta.url);
const readJson = (path: string): unknown => JSON.parse(readFileSync(new URL(path, generated), 'utf8'));
const variants = readdirSync(generated, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
  .sort();

interface Axfr {
  Domain: string;
  TTL: number;
  Mname: string;
  Rname: string;
  Records: { As: Record<string, string[]>; AAAAs: Record<string, string[]>; SRVs: Record<string, string[]> };
}
interface Enumerate {
  frameworks: { name: string; tasks: { name: string; id: string; records: { name: string; host: string; rtype: string }[] }[] }[];
}

/** Record sets compare as sets: mesos-dns returns values in random order. */
function sortedSets(records: Record<string, string[]>): Record<string, string[]> {
  return Object.fromEntries(Object.entries(records).map(([name, values]) => [name, [...new Set(values)].sort()]).sort());
}

/** Enumerated tasks as comparable sets: framework → task name and id → sorted unique records. */
function enumerated(doc: Enumerate): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const fw of doc.frameworks) {
    out[`framework ${fw.name}`] = fw.tasks.map((t) => `${t.name} ${t.id}`).sort();
    for (const task of fw.tasks) {
      const key = `${fw.name} / ${task.name} ${task.id}`;
      out[key] = [...new Set([...(out[key] ?? []), ...task.records.map((r) => `${r.rtype} ${r.name} ${r.host}`)])].sort();
    }
  }
  return out;
}

describe.each(variants)('mesos-dns parity, %s', (variant) => {
  const master = new FakeMaster({ kind: 'state', body: {} });
  let program: Program;
  let axfr: Axfr;

  beforeAll(async () => {
    const port = await master.start('127.0.0.1');
    const state = readJson('served-master-state.json') as Record<string, unknown>;
    master.behaviour = { kind: 'state', body: { ...state, leader: `master@127.0.0.1:${port}` } };
    const config = readJson(`${variant}/config.json`) as Record<string, unknown>;
    const path = writeConfig({ ...config, masters: [`127.0.0.1:${port}`], port: 0, httpport: 0 });
    program = await startProgram(path);
    await program.waitForLog((l) => l.msg === 'records updated');
    axfr = (await (await fetch(`http://127.0.0.1:${program.httpPort}/v1/axfr`)).json()) as Axfr;
  });
  afterAll(async () => {
    await program?.stop();
    await master.close();
  });

  it('serves the same zone header', () => {
    const expected = readJson(`${variant}/v1-axfr.json`) as Axfr;
    expect({ Domain: axfr.Domain, TTL: axfr.TTL, Mname: axfr.Mname, Rname: axfr.Rname }).toEqual({
      Domain: expected.Domain,
      TTL: expected.TTL,
      Mname: expected.Mname,
      Rname: expected.Rname,
    });
  });

  it.each(['As', 'AAAAs', 'SRVs'] as const)('serves the same %s', (kind) => {
    const expected = readJson(`${variant}/v1-axfr.json`) as Axfr;
    // The fixture's master listened on 15050; ours listens on an ephemeral port.
    const expectedSets = JSON.parse(JSON.stringify(expected.Records[kind]).replaceAll(':15050', `:${master.port}`)) as Record<string, string[]>;
    expect(sortedSets(axfr.Records[kind])).toEqual(sortedSets(expectedSets));
  });

  it('enumerates the same frameworks, tasks and task records', async () => {
    const expected = readJson(`${variant}/v1-enumerate.json`) as Enumerate;
    const actual = (await (await fetch(`http://127.0.0.1:${program.httpPort}/v1/enumerate`)).json()) as Enumerate;
    expect(enumerated(actual)).toEqual(enumerated(expected));
  });
});
