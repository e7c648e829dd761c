// The real program and real dig: every configured master gets its masterN. record and a place in master., as in
// mesos-dns, in the gateway's build of the records (which leaves /v1/enumerate's per-task records out); and a new
// body with the same state rebuilds nothing.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dig } from '../helpers/dig.js';
import { FakeMaster } from '../helpers/fake-master.js';
import { loopbackConfig, startProgram, writeConfig, type Program } from '../helpers/program.js';

const fixture = new URL('../fixtures/mesos-dns/generated/served-master-state.json', import.meta.url);
const stateText = readFileSync(fixture, 'utf8');

describe('master records of the configured masters', () => {
  const master = new FakeMaster({ kind: 'status', status: 500, body: 'x' });
  let program: Program;
  /** The recorded state led by the fake master; `hostname` (the master's own name) is not part of the DNS state. */
  const stateOf = (hostname: string): Record<string, unknown> => ({ ...(JSON.parse(stateText) as Record<string, unknown>), hostname, leader: `master@127.0.0.1:${master.port}` });

  beforeAll(async () => {
    await master.start('127.0.0.1', 0);
    // The first master answers and leads, so the others (loopback addresses nothing listens on) are never asked.
    master.behaviour = { kind: 'state', body: stateOf('master-1') };
    program = await startProgram(
      writeConfig(loopbackConfig({ masters: [`127.0.0.1:${master.port}`, '127.0.0.2:5050', '127.0.0.3:5050', '127.0.0.2:5051'], refreshSeconds: 60 })),
    );
    await program.waitForLog((l) => l.msg === 'records updated', 10_000);
  });

  afterAll(async () => {
    await program?.stop();
    await master.close();
  });

  it.each([
    ['master0.mesos.', ['127.0.0.1']],
    ['master1.mesos.', ['127.0.0.2']],
    ['master2.mesos.', ['127.0.0.3']],
    // The fourth master's address is already in master.: mesos-dns skips it, and numbers no master3.
    ['master3.mesos.', []],
    ['master.mesos.', ['127.0.0.1', '127.0.0.2', '127.0.0.3']],
  ])('%s A → %j', async (name, addresses) => {
    const got = await dig(program.dnsPort, name, 'A');
    expect(got.rcode).toBe(addresses.length === 0 ? 'NXDOMAIN' : 'NOERROR');
    const found = got.answer.map((line) => line.split(/\s+/).at(-1)).sort();
    expect(found).toEqual(addresses);
  });

  it('takes a new body with the same state without rebuilding the records', async () => {
    master.behaviour = { kind: 'state', body: stateOf('master-2') };
    const polled = master.requests;
    program.child.kill('SIGHUP');
    const deadline = Date.now() + 10_000;
    let metrics = '';
    while (!/^switchyard_polls_same_state_total\{source="mesos"\} 1$/m.test(metrics) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      metrics = await (await fetch(`http://127.0.0.1:${program.httpPort}/metrics`)).text();
    }
    expect(master.requests).toBeGreaterThan(polled);
    expect(metrics).toMatch(/^switchyard_polls_same_state_total\{source="mesos"\} 1$/m);
    // Time for a rebuild that should not happen to show itself (this state's records take milliseconds).
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(program.logs.filter((l) => l.msg === 'records updated')).toHaveLength(1);
    expect((await dig(program.dnsPort, 'master1.mesos.', 'A')).answer).toHaveLength(1);
  });
});
