// Mesos tasks prepared as the state is parsed (prepareMesosTasks, state-poller/mesos-task.ts): the state normalized
// from them is what normalizing the raw document gives, bad tasks and their diagnostics included, whatever the size
// of the pieces, and each task of a walked list is held as a PreparedTask, not as its raw JSON.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseJsonSteps } from '../../state-poller/json-slices.js';
import { PreparedTask, prepareMesosTasks } from '../../state-poller/mesos-task.js';
import { normalizeMesos, parseMesosState, type NormalizedMesos } from '../../state-poller/normalize.js';
import { runToEnd } from '../../state-poller/slices.js';
import { mesosStateDoc } from '../bench/scale-cluster.js';

function normalized(raw: unknown): NormalizedMesos {
  const parsed = parseMesosState(raw);
  if (!parsed.ok) throw new Error(parsed.message);
  return normalizeMesos(parsed.doc, new Map([['localhost', ['127.0.0.1']]]));
}

function parsedWithHook(text: string, pieceBytes: number): unknown {
  return runToEnd(parseJsonSteps(Buffer.from(text, 'utf8'), pieceBytes, prepareMesosTasks()));
}

/** A synthetic state with one of every kind of task that is left out, among good ones. */
function stateWithBadTasks(): { raw: Record<string, unknown>; agentId: string } {
  const raw = mesosStateDoc({ apps: 30, tasksPerApp: 3, agents: 3 }) as Record<string, unknown> & { frameworks: { tasks: unknown[] }[] };
  const tasks = raw.frameworks[0]?.tasks ?? [];
  const model = (tasks[0] ?? {}) as Record<string, unknown>;
  const agentId = String(model['slave_id']);
  tasks.splice(
    5,
    0,
    { name: 'no-id', state: 'TASK_RUNNING', slave_id: agentId },
    { ...model, id: 'bad-ports', resources: { ports: 'garbage' } },
    { ...model, id: 'bad-ports-elsewhere', slave_id: 'no-such-agent', resources: { ports: 'garbage' } },
    { ...model, id: 'bad-ports-finished', state: 'TASK_FINISHED', resources: { ports: 'garbage' } },
    { ...model, id: 'finished', state: 'TASK_FINISHED' },
    { ...model, id: 'elsewhere', slave_id: 'no-such-agent' },
    { ...model, id: 'no-ports', resources: {} },
    'not a task',
    [model],
  );
  return { raw, agentId };
}

describe('prepareMesosTasks', () => {
  it('gives the state and diagnostics that the raw document gives, for pieces of any size', () => {
    const { raw } = stateWithBadTasks();
    const text = JSON.stringify(raw);
    const whole = normalized(JSON.parse(text));
    expect(whole.diagnostics.map((d) => `${d.code} ${d.subject}`)).toEqual([
      'SWY_UPSTREAM_INVALID_TASK marathon/tasks[5]',
      'SWY_UPSTREAM_INVALID_TASK bad-ports',
      'SWY_UPSTREAM_INVALID_TASK marathon/tasks[12]',
      'SWY_UPSTREAM_INVALID_TASK marathon/tasks[13]',
    ]);
    expect(whole.state.frameworks[0]?.tasks.map((t) => t.id)).toContain('no-ports');
    for (const pieceBytes of [1, 64, 700, 64 * 1024]) expect(normalized(parsedWithHook(text, pieceBytes))).toEqual(whole);
  });

  it('holds each task of a walked list as a PreparedTask, and leaves every other list as it is', () => {
    const { raw } = stateWithBadTasks();
    const doc = parsedWithHook(JSON.stringify(raw), 700) as { frameworks: { tasks: unknown[] }[]; slaves: unknown[] };
    const tasks = doc.frameworks[0]?.tasks ?? [];
    expect(tasks.length).toBe((raw['frameworks'] as { tasks: unknown[] }[])[0]?.tasks.length);
    for (const task of tasks) expect(task).toBeInstanceOf(PreparedTask);
    for (const agent of doc.slaves) expect(agent).not.toBeInstanceOf(PreparedTask);
    expect(doc.slaves).toEqual(raw['slaves']);
  });

  it('gives what the raw document gives for any mix of tasks, good and bad, in pieces of any size', () => {
    const agents = ['a1', 'a2'];
    const status = fc.oneof(
      fc.record({ state: fc.constantFrom('TASK_RUNNING', 'TASK_STAGING'), timestamp: fc.integer({ min: 0, max: 9 }), container_status: fc.constant({ network_infos: [{ ip_addresses: [{ ip_address: '10.1.2.3' }] }] }) }),
      fc.record({ state: fc.constant('TASK_RUNNING'), timestamp: fc.constant('late'), labels: fc.constant([{ key: 'MesosContainerizer.NetworkSettings.IPAddress', value: '10.9.9.9' }]) }),
      fc.constant('not a status'),
    );
    const task = fc.oneof(
      { weight: 6, arbitrary: fc.record({
        id: fc.stringMatching(/^[a-z]{1,4}$/),
        name: fc.constantFrom('web', 'db', 'Web.App', ''),
        slave_id: fc.constantFrom(...agents, 'gone'),
        state: fc.constantFrom('TASK_RUNNING', 'TASK_RUNNING', 'TASK_KILLED'),
        resources: fc.oneof(fc.constant({ ports: '[31000-31001]' }), fc.constant({ ports: 'garbage' }), fc.constant({}), fc.constant(null)),
        statuses: fc.array(status, { maxLength: 3 }),
        discovery: fc.oneof(fc.constant(undefined), fc.constant({ name: 'svc', ports: { ports: [{ number: 80, protocol: 'tcp', name: 'http' }] } }), fc.constant({ name: 5 })),
      }, { requiredKeys: ['id', 'name', 'slave_id', 'state'] }) },
      { weight: 1, arbitrary: fc.oneof(fc.constant('text'), fc.constant(null), fc.constant([{ id: 'x' }]), fc.constant({ id: '', name: 'e', slave_id: 'a1', state: 'TASK_RUNNING' }), fc.constant({ name: 'no-id', slave_id: 'a1', state: 'TASK_RUNNING' })) },
    );
    const state = fc.record({
      tasksA: fc.array(task, { maxLength: 12 }),
      tasksB: fc.array(task, { maxLength: 4 }),
      pieceBytes: fc.integer({ min: 1, max: 400 }),
      indent: fc.constantFrom(undefined, 2),
    });
    fc.assert(
      fc.property(state, ({ tasksA, tasksB, pieceBytes, indent }) => {
        const raw = {
          leader: 'master@127.0.0.1:5050',
          slaves: agents.map((id) => ({ id, pid: `slave(1)@127.0.0.1:5051`, hostname: 'localhost' })),
          frameworks: [
            { name: 'marathon', pid: 'scheduler-1@127.0.0.1:8080', tasks: tasksA },
            { name: 'other', hostname: 'localhost', tasks: tasksB },
          ],
        };
        const text = JSON.stringify(raw, null, indent);
        expect(normalized(parsedWithHook(text, pieceBytes))).toEqual(normalized(JSON.parse(text)));
      }),
      { numRuns: 300 },
    );
  });

  it('gives the recorded fixture state what JSON.parse gives it', () => {
    const text = readFileSync(new URL('../fixtures/mesos-dns/upstream/factories/fake.json', import.meta.url), 'utf8');
    const whole = normalized(JSON.parse(text));
    expect(whole.state.frameworks.some((fw) => fw.tasks.length > 0)).toBe(true);
    for (const pieceBytes of [1, 16, 256]) expect(normalized(parsedWithHook(text, pieceBytes))).toEqual(whole);
  });
});
