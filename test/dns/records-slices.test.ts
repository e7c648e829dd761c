// Records built in slices (recordSteps run by runInSlices) are the records buildRecords builds, and the event loop
// gets to run between the slices of a large state.
import { describe, expect, it } from 'vitest';
import { buildRecords, recordSteps } from '../../dns/records.js';
import { runInSlices } from '../../state-poller/slices.js';
import type { MesosState, Task } from '../../state-poller/model.js';
import { parseUpid } from '../../state-poller/upid.js';
import { RECORD_OPTIONS } from '../helpers/zone.js';

function bigState(tasks: number): MesosState {
  const list: Task[] = Array.from({ length: tasks }, (_, i) => ({
    id: `app-${i % 500}.task-${i}`,
    name: `app-${i % 500}`,
    agentId: `agent-S${i % 20}`,
    ports: [31000 + (i % 900)],
    discovery: null,
    addresses: { netinfo: [`10.9.${(i >> 8) & 0xff}.${i & 0xff}`], mesos: [], docker: [] },
  }));
  return {
    leader: 'master@127.0.0.1:5050',
    leaderAddress: parseUpid('master@127.0.0.1:5050'),
    agents: Array.from({ length: 20 }, (_, i) => ({ id: `agent-S${i}`, ips: [`10.1.0.${i + 1}`], port: 5051 })),
    frameworks: [{ name: 'marathon', ips: ['127.0.0.1'], port: 8080, tasks: list }],
  };
}

describe('records in slices', () => {
  it('gives the same records, in the same order, as buildRecords', async () => {
    const state = bigState(3000);
    const sliced = await runInSlices(recordSteps(state, RECORD_OPTIONS), 1);
    const whole = buildRecords(state, RECORD_OPTIONS);
    expect([...sliced.a]).toEqual([...whole.a]);
    expect([...sliced.srv]).toEqual([...whole.srv]);
    expect(sliced.frameworks).toEqual(whole.frameworks);
    expect(sliced.diagnostics).toEqual(whole.diagnostics);
  });

  it('lets timers and I/O run between slices of a large state', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    try {
      await runInSlices(recordSteps(bigState(20000), RECORD_OPTIONS), 1);
    } finally {
      clearInterval(timer);
    }
    expect(ticks).toBeGreaterThan(0);
  });

});
