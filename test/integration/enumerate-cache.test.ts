// /v1/enumerate through the real program: built when asked for, kept while the state stays, rebuilt for a new one
// (SIGHUP polls again at once). A fake master on 127.0.0.1 serves the recorded state, then the state less a framework.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeMaster } from '../helpers/fake-master.js';
import { loopbackConfig, startProgram, writeConfig, type Program } from '../helpers/program.js';

const state = JSON.parse(readFileSync(new URL('../fixtures/mesos-dns/generated/served-master-state.json', import.meta.url), 'utf8')) as {
  frameworks: { name: string }[];
} & Record<string, unknown>;

describe('/v1/enumerate follows the state it is built from', () => {
  const master = new FakeMaster({ kind: 'state', body: {} });
  let program: Program;
  let port = 0;
  beforeAll(async () => {
    port = await master.start('127.0.0.1');
    master.behaviour = { kind: 'state', body: { ...state, leader: `master@127.0.0.1:${port}` } };
    program = await startProgram(writeConfig(loopbackConfig({ masters: [`127.0.0.1:${port}`], refreshSeconds: 3600 })));
    await program.waitForLog((l) => l.msg === 'records updated');
  });
  afterAll(async () => {
    await program?.stop();
    await master.close();
  });

  const names = async (): Promise<string[]> => {
    const doc = (await (await fetch(`http://127.0.0.1:${program.httpPort}/v1/enumerate`)).json()) as { frameworks: { name: string }[] };
    return doc.frameworks.map((f) => f.name).sort();
  };

  it('gives the same frameworks on every request, and the new ones once the state changes', async () => {
    const all = [...new Set(state.frameworks.map((f) => f.name))].sort();
    expect(all.length).toBeGreaterThan(1);
    expect(await names()).toEqual(all);
    expect(await names()).toEqual(all);
    const dropped = state.frameworks[0]?.name;
    master.behaviour = { kind: 'state', body: { ...state, frameworks: state.frameworks.filter((f) => f.name !== dropped), leader: `master@127.0.0.1:${port}` } };
    const updated = program.logs.filter((l) => l.msg === 'records updated').length;
    program.child.kill('SIGHUP');
    await program.waitForLog((l) => l.msg === 'records updated' && program.logs.filter((x) => x.msg === 'records updated').length > updated);
    expect(await names()).toEqual(all.filter((name) => name !== dropped));
  });
});
