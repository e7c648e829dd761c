// sameMesosStateSteps and sameDiagnostics against node:util's isDeepStrictEqual as the oracle: the recorded state and
// its copy, and that state with one field or task changed, added, dropped or moved anywhere (property test).
import { readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Diagnostic, MesosState } from '../../state-poller/model.js';
import { normalizeMesos, parseMesosState } from '../../state-poller/normalize.js';
import { sameDiagnostics, sameMesosStateSteps } from '../../state-poller/same-state.js';
import { runToEnd } from '../../state-poller/slices.js';

function recorded(file: string): MesosState {
  const parsed = parseMesosState(JSON.parse(readFileSync(new URL(`../fixtures/mesos-dns/${file}`, import.meta.url), 'utf8')) as unknown);
  if (!parsed.ok) throw new Error(parsed.message);
  return normalizeMesos(parsed.doc, new Map([['localhost', ['127.0.0.1']]])).state;
}

const served = recorded('generated/served-master-state.json');
const wide = recorded('synthetic/wide-100.master-state.json');
const same = (a: MesosState, b: MesosState): boolean => runToEnd(sameMesosStateSteps(a, b));

/** A plain, mutable copy of a state: every object and array new. */
type Mutable = Record<string, unknown>;
const copy = (state: MesosState): Mutable => structuredClone(state) as unknown as Mutable;

/** The objects and arrays inside `value`, each with the path to it, so that a change can be made at any of them. */
function containers(value: unknown, out: unknown[] = []): unknown[] {
  if (typeof value !== 'object' || value === null) return out;
  out.push(value);
  for (const child of Array.isArray(value) ? value : Object.values(value)) containers(child, out);
  return out;
}

/** Fields that may be null in the model: the only ones a change may set to null. */
const NULLABLE = new Set(['discovery', 'leaderAddress', 'port']);

/**
 * One change at container `at` (modulo their number), keeping the model's types: an element dropped, copied in,
 * moved or replaced by a copy of another, or a field given another value of its kind (which may be the same one:
 * then the states are still equal).
 */
function change(state: Mutable, at: number, kind: number, text: string, n: number): void {
  const all = containers(state);
  const target = all[at % all.length];
  if (Array.isArray(target)) {
    const list = target as unknown[];
    if (list.length === 0) return;
    const other = structuredClone(list[n % list.length]);
    if (kind % 4 === 0) list.push(other);
    else if (kind % 4 === 1) list.splice(n % list.length, 1);
    else if (kind % 4 === 2) list.reverse();
    else list[(n + 1) % list.length] = other;
    return;
  }
  const record = target as Record<string, unknown>;
  const keys = Object.keys(record);
  const key = keys[n % keys.length];
  if (key === undefined) return;
  const old = record[key];
  if (typeof old === 'number') record[key] = n % 65536;
  else if (typeof old === 'string') record[key] = text;
  else if (NULLABLE.has(key)) record[key] = null;
}

describe('sameMesosStateSteps', () => {
  it('is true for a state and its copy, and for a state and itself', () => {
    for (const state of [served, wide]) {
      expect(same(state, copy(state) as unknown as MesosState)).toBe(true);
      expect(same(state, state)).toBe(true);
    }
    expect(wide.frameworks.reduce((n, f) => n + f.tasks.length, 0)).toBeGreaterThan(50);
  });

  it('agrees with isDeepStrictEqual on the recorded states with one thing changed anywhere', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.nat(), fc.nat(), fc.constantFrom('', 'x', 'marathon', '127.0.0.1', 'TASK_RUNNING'), fc.nat({ max: 70_000 }), (useWide, at, kind, text, n) => {
        const base = useWide ? wide : served;
        const changed = copy(base);
        change(changed, at, kind, text, n);
        const other = changed as unknown as MesosState;
        expect(same(base, other)).toBe(isDeepStrictEqual(base, other));
        expect(same(other, base)).toBe(isDeepStrictEqual(base, other));
      }),
      { numRuns: 3000 },
    );
  });

  it('yields between tasks of a large state, and gives the same answer in steps', () => {
    const tasks = Array.from({ length: 10_000 }, (_, i) => ({ id: `t${i}`, name: 'app', agentId: 'a', ports: [31000], discovery: null, addresses: { netinfo: [], mesos: [], docker: [] } }));
    const big: MesosState = { leader: 'master@127.0.0.1:5050', leaderAddress: null, agents: [], frameworks: [{ name: 'marathon', ips: [], port: null, tasks }] };
    const steps = sameMesosStateSteps(big, copy(big) as unknown as MesosState);
    let pauses = 0;
    let step = steps.next();
    while (step.done !== true) {
      pauses++;
      step = steps.next();
    }
    expect(step.value).toBe(true);
    expect(pauses).toBeGreaterThanOrEqual(2);
  });
});

describe('sameDiagnostics', () => {
  const d = (subject: string, message = 'bad'): Diagnostic => ({ code: 'SWY_UPSTREAM_INVALID_TASK', source: 'mesos', subject, message });
  it.each([
    [[], [], true],
    [[d('a')], [d('a')], true],
    [[d('a')], [d('b')], false],
    [[d('a', 'x')], [d('a', 'y')], false],
    [[d('a'), d('b')], [d('b'), d('a')], false],
    [[d('a')], [], false],
  ] as const)('%j and %j: %s', (a, b, expected) => {
    expect(sameDiagnostics(a, b)).toBe(expected);
  });
});
