// The real program and real dig while the Mesos master misbehaves: SERVFAIL in the domain before the first good state,
// the last good answers after a bad poll, SIGHUP polls at once, and the process stays up throughout.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dig } from '../helpers/dig.js';
import { FakeMaster } from '../helpers/fake-master.js';
import { loopbackConfig, startProgram, writeConfig, type LogLine, type Program } from '../helpers/program.js';

const fixture = new URL('../fixtures/mesos-dns/generated/served-master-state.json', import.meta.url);
const stateText = readFileSync(fixture, 'utf8');

describe('switchyard while the master fails', () => {
  const master = new FakeMaster({ kind: 'status', status: 500, body: 'x' });
  let program: Program;
  let state: Record<string, unknown>;
  let leaderAnswer: string[] = [];

  const records = (match: (l: LogLine) => boolean): number => program.logs.filter(match).length;

  function expectAlive(): void {
    expect(program.child.exitCode).toBeNull();
    expect(program.child.signalCode).toBeNull();
  }

  beforeAll(async () => {
    await master.start('127.0.0.1', 0);
    // The leader is the master that is contacted, so no redirect happens and leader.mesos is 127.0.0.1.
    state = { ...(JSON.parse(stateText) as Record<string, unknown>), leader: `master@127.0.0.1:${master.port}` };
    program = await startProgram(
      writeConfig(loopbackConfig({ masters: [`127.0.0.1:${master.port}`], refreshSeconds: 60, stateTimeoutSeconds: 2 })),
    );
  });

  afterAll(async () => {
    await program?.stop();
    await master.close();
  });

  it('before the first good state: SERVFAIL in the domain, REFUSED outside it', async () => {
    const failed = await program.waitForLog((l) => l.code === 'SWY_UPSTREAM_HTTP_STATUS');
    expect(failed.msg).toBe('poll failed; no state loaded yet');
    expect(master.requests).toBe(1);

    const inside = await dig(program.dnsPort, 'leader.mesos.', 'A');
    expect(inside.rcode).toBe('SERVFAIL');
    expect(inside.answer).toEqual([]);
    const outside = await dig(program.dnsPort, 'example.com.', 'A');
    expect(outside.rcode).toBe('REFUSED');
    expect(outside.answer).toEqual([]);
    expectAlive();
  });

  it('after the master recovers, SIGHUP polls at once and the leader is answered', async () => {
    master.behaviour = { kind: 'state', body: state };
    expect(records((l) => l.msg === 'records updated')).toBe(0);
    const started = performance.now();
    program.child.kill('SIGHUP');
    const updated = await program.waitForLog((l) => l.msg === 'records updated', 5000);
    // refreshSeconds is 60: only the SIGHUP can have caused this poll.
    expect(performance.now() - started).toBeLessThan(5000);
    expect(updated.generation).toBe(1);
    expect(master.requests).toBe(2);

    const got = await dig(program.dnsPort, 'leader.mesos.', 'A');
    expect(got.rcode).toBe('NOERROR');
    expect(got.answer).toHaveLength(1);
    expect(got.answer[0]).toMatch(/^leader\.mesos\. \d+ IN A 127\.0\.0\.1$/);
    leaderAnswer = got.answer;
    expectAlive();
  });

  it('after a truncated state, the same question still gets the last good answer', async () => {
    expect(leaderAnswer).toHaveLength(1);
    const text = JSON.stringify(state);
    master.behaviour = { kind: 'raw', body: text.slice(0, Math.floor(text.length / 2)) };
    program.child.kill('SIGHUP');
    const failed = await program.waitForLog((l) => l.code === 'SWY_UPSTREAM_MALFORMED', 5000);
    expect(failed.msg).toBe('poll failed; still serving the last good state');
    expect(failed.generation).toBe(1);
    expect(master.requests).toBe(3);

    const got = await dig(program.dnsPort, 'leader.mesos.', 'A');
    expect(got.rcode).toBe('NOERROR');
    expect(got.answer).toEqual(leaderAnswer);
    expect(records((l) => l.msg === 'records updated')).toBe(1);
    expectAlive();
  });

  it('an HTTP error after a good state also keeps the last good answer', async () => {
    master.behaviour = { kind: 'status', status: 503, body: 'busy' };
    const before = records((l) => l.code === 'SWY_UPSTREAM_HTTP_STATUS');
    program.child.kill('SIGHUP');
    await program.waitForLog((l) => l.code === 'SWY_UPSTREAM_HTTP_STATUS' && l.generation === 1, 5000);
    expect(records((l) => l.code === 'SWY_UPSTREAM_HTTP_STATUS')).toBe(before + 1);

    const got = await dig(program.dnsPort, 'leader.mesos.', 'A');
    expect(got.rcode).toBe('NOERROR');
    expect(got.answer).toEqual(leaderAnswer);
    expectAlive();
  });
});
