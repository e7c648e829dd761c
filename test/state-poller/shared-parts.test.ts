// Parts that tasks of one normalized state share (Shared and SharedLists, in state-poller/intern.ts): port lists and
// DiscoveryInfo ports. Equal parts are one frozen object; different parts never are, whatever their text; the values are unchanged.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Shared, SharedLists } from '../../state-poller/intern.js';
import { normalizeMarathon } from '../../state-poller/marathon-normalize.js';
import { normalizeMesos, parseMesosState } from '../../state-poller/normalize.js';

describe('Shared', () => {
  it('gives the first value given for each key, frozen, and one entry per key', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.string({ maxLength: 6 }), fc.integer()), { maxLength: 40 }), (pairs) => {
        const shared = new Shared<{ readonly n: number }>();
        const first = new Map<string, number>();
        for (const [key, n] of pairs) {
          if (!first.has(key)) first.set(key, n);
          const got = shared.of(key, { n });
          expect(got.n).toBe(first.get(key));
          expect(Object.isFrozen(got)).toBe(true);
          expect(shared.get(key)).toBe(got);
        }
        expect(shared.size).toBe(first.size);
      }),
    );
  });
});

describe('SharedLists', () => {
  it('gives one frozen list per sequence of items, a copy of the first one given', () => {
    const port = fc.constantFrom(0, 1, 2, 80);
    fc.assert(
      fc.property(fc.array(fc.array(port, { maxLength: 4 }), { maxLength: 30 }), (lists) => {
        const shared = new SharedLists<number>();
        const seen = new Map<string, readonly number[]>();
        for (const items of lists) {
          const given: number[] = items.slice();
          const got = shared.of(given);
          expect(got).toEqual(items);
          expect(got).not.toBe(given);
          expect(Object.isFrozen(got)).toBe(true);
          const key = JSON.stringify(items);
          const before = seen.get(key);
          if (before === undefined) seen.set(key, got);
          else expect(got).toBe(before);
          given.push(99); // the caller's list is its own
          expect(got).toEqual(items);
        }
        expect(new Set(lists.map((l) => shared.of(l))).size).toBe(seen.size);
      }),
    );
  });

  it('compares items by identity', () => {
    const shared = new SharedLists<{ n: number }>();
    const a = { n: 1 };
    expect(shared.of([a])).toBe(shared.of([a]));
    expect(shared.of([a])).not.toBe(shared.of([{ n: 1 }]));
  });
});

interface RawPort {
  number: number;
  protocol?: string;
  name?: string;
}

function mesosTasks(tasks: readonly { ports?: string; discovery?: readonly RawPort[] }[]) {
  const doc = {
    leader: 'master@127.0.0.1:5050',
    slaves: [{ id: 'S1', hostname: '127.0.0.2', pid: 'slave(1)@127.0.0.2:5051' }],
    frameworks: [
      {
        name: 'marathon',
        pid: 'scheduler@127.0.0.1:8080',
        tasks: tasks.map((t, i) => ({
          id: `web.${i}`,
          name: 'web',
          framework_id: 'fw',
          slave_id: 'S1',
          state: 'TASK_RUNNING',
          resources: t.ports === undefined ? {} : { ports: t.ports },
          statuses: [],
          ...(t.discovery === undefined ? {} : { discovery: { visibility: 'FRAMEWORK', name: `web-${i}`, ports: { ports: t.discovery } } }),
        })),
      },
    ],
  };
  const parsed = parseMesosState(doc);
  if (!parsed.ok) throw new Error(parsed.message);
  const { state, diagnostics } = normalizeMesos(parsed.doc, new Map());
  expect(diagnostics).toEqual([]);
  return state.frameworks[0]?.tasks ?? [];
}

describe('normalizeMesos shares what tasks have in common', () => {
  it('one list per ports resource text, one object per DiscoveryInfo port, one list per list of them', () => {
    const http = { number: 31000, protocol: 'tcp', name: 'http' };
    const [a, b, c] = mesosTasks([
      { ports: '[31000-31001]', discovery: [http, { number: 31001, protocol: 'udp', name: 'dns' }] },
      { ports: '[31000-31001]', discovery: [{ ...http }, { number: 31001, protocol: 'udp', name: 'dns' }] },
      { ports: '[31000-31000]', discovery: [{ ...http }] },
    ]);
    expect(a?.ports).toEqual([31000, 31001]);
    expect(b?.ports).toBe(a?.ports);
    expect(c?.ports).toEqual([31000]);
    expect(Object.isFrozen(a?.ports)).toBe(true);
    expect(a?.discovery?.ports).toEqual([http, { number: 31001, protocol: 'udp', name: 'dns' }]);
    expect(b?.discovery?.ports).toBe(a?.discovery?.ports);
    expect(c?.discovery?.ports[0]).toBe(a?.discovery?.ports[0]);
    expect(c?.discovery?.ports).toEqual([http]);
    // Each task keeps its own DiscoveryInfo name.
    expect([a, b, c].map((t) => t?.discovery?.name)).toEqual(['web-0', 'web-1', 'web-2']);
    expect(() => (a?.discovery?.ports as RawPort[]).push(http)).toThrow(TypeError);
  });

  it('never shares ports that differ, however their protocol and name split the same characters', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ number: fc.constantFrom(80, 8080, 31000), protocol: fc.constantFrom('', 't', 'tc', 'tcp', 'udp', '/'), name: fc.constantFrom('', 'p', 'cp', 'http', '/1', '1') }), { minLength: 1, maxLength: 3 }),
        fc.array(fc.record({ number: fc.constantFrom(80, 8080, 31000), protocol: fc.constantFrom('', 't', 'tc', 'tcp', 'udp', '/'), name: fc.constantFrom('', 'p', 'cp', 'http', '/1', '1') }), { minLength: 1, maxLength: 3 }),
        (first, second) => {
          const [a, b] = mesosTasks([{ discovery: first }, { discovery: second }]);
          expect(a?.discovery?.ports).toEqual(first);
          expect(b?.discovery?.ports).toEqual(second);
          const same = JSON.stringify(first) === JSON.stringify(second);
          expect(a?.discovery?.ports === b?.discovery?.ports).toBe(same);
        },
      ),
    );
  });

  it.each([
    ['protocol and name split the same characters', [{ number: 80, protocol: 't', name: 'cp' }], [{ number: 80, protocol: 'tc', name: 'p' }]],
    ['two ports spell one', [{ number: 80, protocol: '', name: '1' }, { number: 80, protocol: '', name: '' }], [{ number: 80, protocol: '', name: '180/0/' }]],
    ['the number runs into the protocol', [{ number: 80, protocol: '1/x', name: '' }], [{ number: 801, protocol: 'x', name: '' }]],
  ])('keeps apart ports whose texts run together: %s', (_, first, second) => {
    const [a, b] = mesosTasks([{ discovery: first }, { discovery: second }]);
    expect(a?.discovery?.ports).toEqual(first);
    expect(b?.discovery?.ports).toEqual(second);
  });

  it('a task without a ports resource or without discovery ports has empty lists', () => {
    const [a, b] = mesosTasks([{ discovery: [] }, {}]);
    expect(a?.ports).toEqual([]);
    expect(a?.discovery).toEqual({ name: 'web-0', ports: [] });
    expect(b?.discovery).toBeNull();
  });
});

describe('normalizeMarathon shares equal task port lists', () => {
  it('one list per distinct list of host ports', () => {
    const task = (id: string, ports?: number[]) => ({ id, host: '127.0.0.2', ...(ports === undefined ? {} : { ports }) });
    const result = normalizeMarathon({ apps: [{ id: '/web', tasks: [task('a', [31000, 31001]), task('b', [31000, 31001]), task('c', [31000]), task('d', [3100, 1]), task('e')] }] });
    if (!result.ok) throw new Error(result.message);
    const [a, b, c, d, e] = result.state.apps[0]?.tasks ?? [];
    expect([a, b, c, d, e].map((t) => t?.ports)).toEqual([[31000, 31001], [31000, 31001], [31000], [3100, 1], []]);
    expect(b?.ports).toBe(a?.ports);
    expect(c?.ports).not.toBe(a?.ports);
    expect(Object.isFrozen(a?.ports)).toBe(true);
  });
});
