// The hand-written Marathon task check against zod's marathonTaskSchema (property tests): whatever it accepts, zod
// accepts with the same values as marathon-normalize reads them; every well-formed shape and recorded task takes it.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { marathonTaskFields, type MarathonTaskFields } from '../../state-poller/marathon-fast.js';
import { marathonTaskSchema } from '../../state-poller/marathon-types.js';
import { expectAgreement, expectBothReject, expectTakesWhatZodTakes, mostly, nullish, some, str } from '../helpers/shape-arbitraries.js';

/** What marathon-normalize reads of a task, with its defaults applied. */
function readTask(task: MarathonTaskFields) {
  return {
    id: task.id,
    host: task.host,
    state: task.state ?? null,
    ports: task.ports ?? [],
    ipAddresses: (task.ipAddresses ?? []).map((a) => a.ipAddress ?? null),
    healthAlive: task.healthCheckResults === null || task.healthCheckResults === undefined ? null : task.healthCheckResults.map((r) => r.alive === true),
  };
}

const portNumber = fc.oneof(fc.integer({ min: -2, max: 65537 }), fc.double(), fc.constant(2 ** 53));
const taskArb = mostly(
  some({
    id: mostly(str),
    host: mostly(str),
    state: mostly(nullish(str)),
    ports: mostly(nullish(fc.array(mostly(portNumber), { maxLength: 3 }))),
    ipAddresses: mostly(nullish(fc.array(mostly(some({ ipAddress: mostly(nullish(str)), protocol: str })), { maxLength: 2 }))),
    healthCheckResults: mostly(nullish(fc.array(mostly(some({ alive: mostly(nullish(fc.boolean())) })), { maxLength: 2 }))),
    appId: fc.anything(),
  }),
);

describe('marathonTaskFields', () => {
  it('accepts only what marathonTaskSchema accepts, with the same values as normalize reads them', () => {
    expectAgreement(taskArb, marathonTaskFields, marathonTaskSchema, readTask);
  });

  it('takes every task zod accepts among well-formed shapes', () => {
    const good = some({
      id: fc.string({ minLength: 1, maxLength: 6 }),
      host: str,
      state: nullish(str),
      ports: nullish(fc.array(fc.integer({ min: 0, max: 65535 }), { maxLength: 3 })),
      ipAddresses: nullish(fc.array(some({ ipAddress: nullish(str) }), { maxLength: 2 })),
      healthCheckResults: nullish(fc.array(some({ alive: nullish(fc.boolean()) }), { maxLength: 2 })),
    });
    expectTakesWhatZodTakes(good, marathonTaskFields, marathonTaskSchema);
  });

  it('rejects what zod rejects at the edges of each check', () => {
    const base = { id: 't', host: 'h' };
    const cases: unknown[] = [[], { ...base, id: '' }, { ...base, host: null }, { ...base, ports: [65536] }, { ...base, ports: [2 ** 53] }, { ...base, ports: [1.5] }, { ...base, ipAddresses: [null] }, { ...base, healthCheckResults: [{ alive: 'yes' }] }, { ...base, state: 1 }];
    expectBothReject(cases, marathonTaskFields, marathonTaskSchema);
  });

  it('takes every task of the recorded Marathon apps', () => {
    const files = ['upstream/tests/marathon15_apps.json', 'upstream/tests/zdd_apps.json', 'upstream/tests/zdd_app_blue_marathon1.5.json', 'synthetic/fake-marathon-apps.json', 'synthetic/switchyard-label-features.json'];
    let tasks = 0;
    for (const file of files) {
      const doc = JSON.parse(readFileSync(new URL(`../fixtures/marathon-lb/${file}`, import.meta.url), 'utf8')) as { apps: { tasks?: unknown[] }[] };
      for (const app of doc.apps) {
        for (const raw of app.tasks ?? []) {
          tasks++;
          expect(marathonTaskFields(raw), JSON.stringify(raw).slice(0, 200)).not.toBeNull();
        }
      }
    }
    expect(tasks).toBeGreaterThan(0);
  });
});
