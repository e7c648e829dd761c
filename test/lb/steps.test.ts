// The view and the config as steps (buildViewSteps, renderConfigSteps, ViewCache.buildSteps): they pause often
// enough for a 10k-app state to be built in slices, and give exactly what buildView and renderConfig give.
import { describe, expect, it } from 'vitest';
import { renderConfig, renderConfigSteps } from '../../lb/render.js';
import { finish } from '../../lb/steps.js';
import { loadTemplateSet } from '../../lb/template-files.js';
import { ViewCache } from '../../lb/view-cache.js';
import { buildView, buildViewSteps } from '../../lb/view-model.js';
import { normalizeMarathon } from '../../state-poller/marathon-normalize.js';
import type { MarathonState } from '../../state-poller/model.js';
import { marathonAppsDoc } from '../bench/scale-cluster.js';
import { MLB_DEFAULTS } from '../helpers/lb-generate.js';

function stateOf(apps: number): MarathonState {
  const normalized = normalizeMarathon(marathonAppsDoc({ apps, tasksPerApp: 3, agents: 4 }));
  if (!normalized.ok) throw new Error(normalized.message);
  return normalized.state;
}

/** How many times `steps` paused before it returned, and what it returned. */
function pauses<T>(steps: Generator<void, T>): { pauses: number; value: T } {
  let count = 0;
  for (let step = steps.next(); ; step = steps.next()) {
    if (step.done === true) return { pauses: count, value: step.value };
    count++;
  }
}

describe('steps', () => {
  const state = stateOf(300);

  it('builds the view in steps, pausing at least once every 32 apps and every 32 services', () => {
    const { pauses: count, value } = pauses(buildViewSteps(state, MLB_DEFAULTS, new Map()));
    expect(value.services.length).toBe(300);
    // One pause per 32 apps, then one per 32 services.
    expect(count).toBeGreaterThanOrEqual(Math.floor(300 / 32) * 2);
    expect(value).toEqual(buildView(state, MLB_DEFAULTS, new Map()));
  });

  it('renders the config in steps; rendering every service first gives the text a cold render gives', async () => {
    const { set } = await loadTemplateSet(null);
    const view = buildView(state, MLB_DEFAULTS, new Map());
    const fresh = buildView(state, MLB_DEFAULTS, new Map());
    const { pauses: count, value } = pauses(renderConfigSteps(view, set));
    expect(count).toBeGreaterThanOrEqual(Math.floor(300 / 32));
    expect(value.config).toBe(renderConfig(fresh, set).config);
    expect(value.config).toContain('backend app-299_');
  });

  it('keeps a ViewCache\'s generations right when its builds run as steps', () => {
    const stepped = new ViewCache(MLB_DEFAULTS);
    const direct = new ViewCache(MLB_DEFAULTS);
    for (const apps of [300, 299, 300]) {
      const s = stateOf(apps);
      expect(pauses(stepped.buildSteps(s, new Map(), new Map())).value).toEqual(direct.build(s, new Map(), new Map()));
    }
    expect(finish(stepped.buildSteps(state, new Map(), new Map())).services.length).toBe(300);
  });
});
