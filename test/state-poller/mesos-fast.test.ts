// The hand-written task and status checks against zod's schemas (property tests): whatever they accept, zod accepts
// with the same values as normalize reads them; every well-formed shape takes them; so do the recorded states' tasks.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { statusFields, taskFields, type StatusFields, type TaskFields } from '../../state-poller/mesos-fast.js';
import { mesosStatusSchema, mesosTaskSchema } from '../../state-poller/mesos-types.js';
import { expectAgreement, expectBothReject, expectTakesWhatZodTakes, mostly, nullish, some, str } from '../helpers/shape-arbitraries.js';

/** What normalize.ts reads of a task, with its defaults applied (null and absent read alike). */
function readTask(task: TaskFields) {
  const discovery = task.discovery ?? null;
  return {
    id: task.id,
    name: task.name,
    slave_id: task.slave_id,
    state: task.state,
    ports: task.resources?.ports ?? null,
    discovery:
      discovery === null
        ? null
        : { name: discovery.name ?? '', ports: (discovery.ports?.ports ?? []).map((p) => ({ number: p.number, protocol: p.protocol ?? '', name: p.name ?? '' })) },
    statuses: task.statuses ?? [],
  };
}

function readStatus(status: StatusFields) {
  return {
    state: status.state,
    timestamp: status.timestamp,
    labels: (status.labels ?? []).map((l) => ({ key: l.key, value: l.value ?? '' })),
    infos: (status.container_status?.network_infos ?? []).map((i) => ({ list: (i.ip_addresses ?? []).map((a) => a.ip_address), one: i.ip_address ?? null })),
  };
}

const port = mostly(some({ number: mostly(fc.oneof(fc.integer({ min: -2, max: 65537 }), fc.double())), protocol: mostly(str), name: mostly(str), extra: fc.anything() }));
const taskArb = mostly(
  some({
    id: mostly(str),
    name: mostly(str),
    slave_id: mostly(str),
    state: mostly(str),
    resources: mostly(nullish(some({ ports: mostly(nullish(str)), cpus: fc.double() }))),
    discovery: mostly(nullish(some({ name: mostly(str), ports: mostly(nullish(some({ ports: mostly(nullish(fc.array(port, { maxLength: 3 }))) }))) }))),
    statuses: mostly(nullish(fc.array(fc.anything(), { maxLength: 2 }))),
    labels: fc.anything(),
  }),
);

const label = mostly(some({ key: mostly(str), value: mostly(str) }));
const address = mostly(some({ ip_address: mostly(str), protocol: str }));
const info = mostly(some({ ip_addresses: mostly(nullish(fc.array(address, { maxLength: 2 }))), ip_address: mostly(nullish(str)), name: str }));
const statusArb = mostly(
  some({
    state: mostly(str),
    timestamp: mostly(fc.oneof(fc.double(), fc.integer())),
    labels: mostly(nullish(fc.array(label, { maxLength: 3 }))),
    container_status: mostly(nullish(some({ network_infos: mostly(nullish(fc.array(info, { maxLength: 2 }))) }))),
  }),
);

describe('taskFields', () => {
  it('accepts only what mesosTaskSchema accepts, with the same values as normalize reads them', () => {
    expectAgreement(taskArb, taskFields, mesosTaskSchema, readTask);
  });

  it('takes every task zod accepts among well-formed shapes (so normal states never need zod)', () => {
    const good = some({
      id: fc.string({ minLength: 1, maxLength: 6 }),
      name: str,
      slave_id: str,
      state: str,
      resources: nullish(some({ ports: nullish(str) })),
      discovery: nullish(some({ name: str, ports: nullish(some({ ports: nullish(fc.array(some({ number: fc.integer({ min: 0, max: 65535 }), protocol: str, name: str }), { maxLength: 3 })) })) })),
      statuses: nullish(fc.array(fc.anything(), { maxLength: 2 })),
    });
    expectTakesWhatZodTakes(good, taskFields, mesosTaskSchema);
  });

  it('rejects what zod rejects at the edges of each check', () => {
    const base = { id: 't', name: 'n', slave_id: 's', state: 'TASK_RUNNING' };
    const cases: unknown[] = [
      null,
      [],
      { ...base, id: '' },
      { ...base, name: null },
      { ...base, resources: [] },
      { ...base, resources: { ports: 31000 } },
      { ...base, discovery: { name: null } },
      { ...base, discovery: { name: 'd', ports: { ports: [{ number: 65536 }] } } },
      { ...base, discovery: { name: 'd', ports: { ports: [{ number: 1.5 }] } } },
      { ...base, discovery: { name: 'd', ports: { ports: [{ number: 80, protocol: null }] } } },
      { ...base, discovery: { name: 'd', ports: { ports: {} } } },
      { ...base, statuses: {} },
    ];
    expectBothReject(cases, taskFields, mesosTaskSchema);
  });
});

describe('statusFields', () => {
  it('accepts only what mesosStatusSchema accepts, with the same values as normalize reads them', () => {
    expectAgreement(statusArb, statusFields, mesosStatusSchema, readStatus);
  });

  it('rejects an infinite timestamp, a label without a key and a non-string address, as zod does', () => {
    const cases: unknown[] = [
      { state: 'TASK_RUNNING', timestamp: Number.POSITIVE_INFINITY },
      { state: 'TASK_RUNNING', timestamp: Number.NaN },
      { state: 'TASK_RUNNING', timestamp: 1, labels: [{ value: 'x' }] },
      { state: 'TASK_RUNNING', timestamp: 1, container_status: { network_infos: [{ ip_addresses: [{ ip_address: 1 }] }] } },
      { state: 'TASK_RUNNING', timestamp: 1, container_status: { network_infos: {} } },
    ];
    expectBothReject(cases, statusFields, mesosStatusSchema);
  });
});

describe('recorded states', () => {
  it.each(['generated/served-master-state.json', 'synthetic/wide-100.master-state.json'])('every task and status of %s takes the hand-written checks', (file) => {
    const state = JSON.parse(readFileSync(new URL(`../fixtures/mesos-dns/${file}`, import.meta.url), 'utf8')) as { frameworks: { tasks: unknown[] }[] };
    const tasks = state.frameworks.flatMap((f) => f.tasks);
    expect(tasks.length).toBeGreaterThan(0);
    for (const raw of tasks) {
      const fast = taskFields(raw);
      expect(fast, JSON.stringify(raw).slice(0, 200)).not.toBeNull();
      for (const status of fast?.statuses ?? []) expect(statusFields(status)).not.toBeNull();
    }
  });
});
