// SnapshotStore with two sources: each accept replaces only its own half and diagnostics, every accept bumps the
// generation and notifies, and failures are kept per source. Pure in-memory tests, no I/O.
import { describe, expect, it } from 'vitest';
import { SwitchyardError } from '../../state-poller/errors.js';
import type { Diagnostic, MarathonState, MesosState, Snapshot } from '../../state-poller/model.js';
import { SnapshotStore } from '../../state-poller/store.js';

const mesos = (leader: string): MesosState => ({ leader, leaderAddress: null, agents: [], frameworks: [] });
const marathon = (...ids: string[]): MarathonState => ({
  apps: ids.map((id) => ({
    id,
    instances: 0,
    labels: {},
    portDefinitions: null,
    ports: [],
    dockerNetwork: null,
    dockerPortMappings: [],
    containerPortMappings: [],
    networkModes: [],
    ipAddressPorts: null,
    healthChecks: [],
    tasks: [],
    lastScalingAt: null,
  })),
  hosts: {},
});
const diagnostic = (source: string, subject: string): Diagnostic => ({ code: 'SWY_UPSTREAM_INVALID_TASK', source, subject, message: 'bad' });

describe('SnapshotStore', () => {
  it('starts empty: generation 0, both halves null', () => {
    const store = new SnapshotStore();
    expect(store.snapshot).toEqual({ generation: 0, loadedAt: 0, mesos: null, marathon: null, diagnostics: [] });
    expect(store.lastFailure).toBeNull();
    expect(store.failureOf('mesos')).toBeNull();
    expect(store.failureOf('marathon')).toBeNull();
  });

  it('each accept replaces only its own half and its own diagnostics; mesos diagnostics come first', () => {
    const store = new SnapshotStore();
    const seen: Snapshot[] = [];
    store.subscribe((s) => seen.push(s));

    store.accept(mesos('m1'), [diagnostic('mesos', 't1')], 10);
    store.acceptMarathon(marathon('/a'), [diagnostic('marathon', '/a/tasks[0]')], 20);
    expect(store.snapshot.mesos?.leader).toBe('m1');
    expect(store.snapshot.marathon?.apps.map((a) => a.id)).toEqual(['/a']);
    expect(store.snapshot.diagnostics.map((d) => d.subject)).toEqual(['t1', '/a/tasks[0]']);

    store.accept(mesos('m2'), [], 30);
    expect(store.snapshot.marathon?.apps.map((a) => a.id)).toEqual(['/a']);
    expect(store.snapshot.diagnostics.map((d) => d.subject)).toEqual(['/a/tasks[0]']);

    store.acceptMarathon(marathon('/b'), [diagnostic('marathon', '/b')], 40);
    store.accept(mesos('m3'), [diagnostic('mesos', 't3')], 50);
    expect(store.snapshot).toMatchObject({ generation: 5, loadedAt: 50, mesos: { leader: 'm3' } });
    expect(store.snapshot.marathon?.apps.map((a) => a.id)).toEqual(['/b']);
    expect(store.snapshot.diagnostics.map((d) => d.subject)).toEqual(['t3', '/b']);

    expect(seen.map((s) => [s.generation, s.loadedAt])).toEqual([[1, 10], [2, 20], [3, 30], [4, 40], [5, 50]]);
    expect(seen.at(-1)).toBe(store.snapshot);
  });

  it('keeps failures per source; lastFailure is the newest still-failing one; an accept clears only its own', () => {
    const store = new SnapshotStore();
    store.accept(mesos('m1'), [], 1);
    const before = store.snapshot;

    store.reject(new SwitchyardError('SWY_UPSTREAM_UNAVAILABLE', 'mesos down'), 100);
    store.reject(new SwitchyardError('SWY_UPSTREAM_HTTP_STATUS', 'marathon 500'), 200, 'marathon');
    expect(store.snapshot).toBe(before);
    expect(store.failureOf('mesos')).toEqual({ code: 'SWY_UPSTREAM_UNAVAILABLE', message: 'mesos down', at: 100, source: 'mesos' });
    expect(store.failureOf('marathon')?.code).toBe('SWY_UPSTREAM_HTTP_STATUS');
    expect(store.lastFailure?.source).toBe('marathon');

    store.reject(new SwitchyardError('SWY_UPSTREAM_MALFORMED', 'mesos garbage'), 300);
    expect(store.lastFailure?.code).toBe('SWY_UPSTREAM_MALFORMED');

    store.acceptMarathon(marathon('/a'), [], 400);
    expect(store.failureOf('marathon')).toBeNull();
    expect(store.lastFailure?.code).toBe('SWY_UPSTREAM_MALFORMED');

    store.accept(mesos('m2'), [], 500);
    expect(store.lastFailure).toBeNull();
  });
});
