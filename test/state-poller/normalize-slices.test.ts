// The Mesos state and the Marathon apps normalized in slices (normalizeMesosSteps, normalizeMarathonSteps run by
// runInSlices) are what normalizeMesos and normalizeMarathon give, bad items and diagnostics included, and the event
// loop runs between the slices of a large state.
import { describe, expect, it } from 'vitest';
import { MarathonAppMemo, normalizeMarathon, normalizeMarathonSteps } from '../../state-poller/marathon-normalize.js';
import { normalizeMesos, normalizeMesosSteps, parseMesosState } from '../../state-poller/normalize.js';
import { runInSlices } from '../../state-poller/slices.js';
import { mesosStateDoc } from '../bench/scale-cluster.js';

function docOf(apps: number, tasksPerApp: number) {
  const raw = mesosStateDoc({ apps, tasksPerApp, agents: Math.max(1, apps / 10) });
  const frameworks = raw.frameworks as Array<{ tasks: unknown[] }>;
  // A task without an id and one with a broken ports range: each skipped with a diagnostic.
  frameworks[0]?.tasks.push({ name: 'no-id', state: 'TASK_RUNNING', slave_id: 'x' }, { ...(frameworks[0]?.tasks[0] as object), id: 'bad-ports', resources: { ports: 'garbage' } });
  const parsed = parseMesosState(raw);
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.doc;
}

describe('normalizeMesosSteps', () => {
  it('gives what normalizeMesos gives, diagnostics included', async () => {
    const doc = docOf(300, 4);
    const sliced = await runInSlices(normalizeMesosSteps(doc, new Map()), 1);
    const whole = normalizeMesos(doc, new Map());
    expect(sliced).toEqual(whole);
    expect(whole.diagnostics.map((d) => d.code)).toEqual(['SWY_UPSTREAM_INVALID_TASK', 'SWY_UPSTREAM_INVALID_TASK']);
  });

  it('lets timers run between the slices of a large state', async () => {
    const doc = docOf(2000, 5);
    let ticks = 0;
    let finished = false;
    const timer = setInterval(() => {
      if (!finished) ticks++;
    }, 0);
    try {
      await runInSlices(normalizeMesosSteps(doc, new Map()), 1);
      finished = true;
    } finally {
      clearInterval(timer);
    }
    expect(ticks).toBeGreaterThan(0);
  });
});

describe('normalizeMarathonSteps', () => {
  const apps = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `/app-${i}`, labels: {}, tasks: [{ id: `app-${i}.1`, host: '127.0.0.1', ports: [31000 + i] }] }));

  it('gives what normalizeMarathon gives, and goes on past a duplicate found through the memo', async () => {
    const memo = new MarathonAppMemo();
    const doc = { apps: [...apps(300), { id: 'bad' }] };
    await runInSlices(normalizeMarathonSteps(doc, memo), 1);
    // The same app twice, both already in the memo: the second is a duplicate, and every app after it is kept.
    const again = { apps: [apps(1)[0], ...apps(300), { id: 'bad' }] };
    const sliced = await runInSlices(normalizeMarathonSteps(again, memo), 1);
    const whole = normalizeMarathon(again);
    expect(sliced).toEqual(whole);
    if (!sliced.ok) throw new Error(sliced.message);
    expect(sliced.state.apps).toHaveLength(300);
    expect(sliced.diagnostics.map((d) => [d.code, d.subject])).toEqual([
      ['SWY_UPSTREAM_INVALID_APP', '/app-0'],
      ['SWY_UPSTREAM_INVALID_APP', 'bad'],
    ]);
  });
});
