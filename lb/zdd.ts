// marathon-lb's blue/green merge: apps sharing HAPROXY_DEPLOYMENT_GROUP become one app `/<group>` whose old tasks
// are partly drained (reference §2.8). Pure; mirrors marathon-lb's arithmetic, including its quirks, noted inline.
import type { MarathonApp } from '../state-poller/model.js';
import { parseDeploymentGroup, parseTimestamp, intParser } from './label-parsers.js';

export interface LbApp {
  readonly app: MarathonApp;
  /** Ids of tasks that stay in the backend but get no new traffic (` disabled`). */
  readonly draining: ReadonlySet<string>;
  /** The ids of the apps merged into this one, oldest first (one entry for an ordinary app). */
  readonly sources: readonly string[];
}

const parseCount = intParser(0, 1_000_000);

function startedAt(app: MarathonApp): number {
  const raw = app.labels.HAPROXY_DEPLOYMENT_STARTED_AT;
  if (raw === undefined) return Number.NEGATIVE_INFINITY; // marathon-lb: datetime.min
  const parsed = parseTimestamp(raw);
  return parsed.ok ? parsed.value.epochMs : Number.NEGATIVE_INFINITY;
}

function scalingTime(app: MarathonApp): number | null {
  if (app.lastScalingAt === null) return null;
  const parsed = parseTimestamp(app.lastScalingAt);
  return parsed.ok ? parsed.value.epochMs : null;
}

function merge(prev: LbApp, cur: MarathonApp, groupId: string): LbApp {
  // Ties (both dates missing or equal) make the app seen later the old one, as marathon-lb's `prev < cur` test does.
  let [old, young] = startedAt(prev.app) < startedAt(cur) ? [prev.app, cur] : [cur, prev.app];
  let target = 1;
  if (young.labels.HAPROXY_DEPLOYMENT_NEW_INSTANCES !== undefined) {
    // marathon-lb's `int(x != 0)` guard is always true, so the later-scaled app is always the new one.
    const youngScaled = scalingTime(young);
    const oldScaled = scalingTime(old);
    if (youngScaled !== null && oldScaled !== null && oldScaled > youngScaled) [old, young] = [young, old];
    const parsed = parseCount(young.labels.HAPROXY_DEPLOYMENT_TARGET_INSTANCES ?? '');
    target = parsed.ok ? parsed.value : 1;
  }
  const oldTasks = [...old.tasks].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  // marathon-lb looks at the health checks of the app it is iterating over, not of the new one.
  const healthyNew =
    cur.healthChecks.length > 0
      ? young.tasks.filter((t) => t.healthAlive !== null && t.healthAlive.some(Boolean)).length
      : young.instances;
  const drainable = Math.max(0, healthyNew + old.instances - target);
  const drainCount = Math.min(oldTasks.length, healthyNew, drainable);
  // Flags already set on the earlier pair's tasks stay, as they do on marathon-lb's mutated task dicts.
  const draining = new Set(prev.draining);
  for (const task of oldTasks.slice(0, drainCount)) draining.add(task.id);
  const merged: MarathonApp = { ...old, id: groupId, tasks: [...oldTasks, ...young.tasks] };
  const sources = prev.app === old ? [...prev.sources, cur.id] : [cur.id, ...prev.sources];
  return { app: merged, draining, sources };
}

/**
 * Groups apps by deployment group (in input order) and merges each group; other apps pass through unchanged.
 * An invalid HAPROXY_DEPLOYMENT_GROUP leaves the app alone here; the label reader rejects it with a diagnostic.
 */
export function mergeDeploymentGroups(apps: readonly MarathonApp[]): LbApp[] {
  const plain: LbApp[] = [];
  const groups = new Map<string, LbApp>();
  for (const app of apps) {
    const raw = app.labels.HAPROXY_DEPLOYMENT_GROUP;
    const parsed = raw === undefined ? null : parseDeploymentGroup(raw);
    if (parsed === null || !parsed.ok) {
      plain.push({ app, draining: new Set(), sources: [app.id] });
      continue;
    }
    const groupId = parsed.value.startsWith('/') ? parsed.value : `/${parsed.value}`;
    const prev = groups.get(groupId);
    groups.set(groupId, prev === undefined ? { app: { ...app, id: groupId }, draining: new Set(), sources: [app.id] } : merge(prev, app, groupId));
  }
  return [...plain, ...groups.values()];
}
