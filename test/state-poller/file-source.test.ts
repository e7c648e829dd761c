// FileSource + MesosPoller + SnapshotStore on a temp file: the first state loads at start, an edit is picked up by the
// watcher within a second, invalid JSON keeps the last good snapshot, and a missing or unreadable file is reported.
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { FileSource } from '../../state-poller/file-source.js';
import type { Snapshot } from '../../state-poller/model.js';
import { MesosPoller } from '../../state-poller/poller.js';
import { SnapshotStore } from '../../state-poller/store.js';

const logger = pino({ level: 'silent' });
const fixture = new URL('../fixtures/mesos-dns/generated/served-master-state.json', import.meta.url);
const stateText = readFileSync(fixture, 'utf8');

type Json = Record<string, unknown>;

/** The fixture state with one more running task (named `name`) in the marathon framework. */
function stateWithExtraTask(name: string): string {
  const state = JSON.parse(stateText) as Json;
  const marathon = (state.frameworks as Json[]).find((fw) => fw.name === 'marathon');
  const tasks = marathon?.tasks as Json[] | undefined;
  const template = tasks?.find((t) => t.name === 'nginx');
  if (tasks === undefined || template === undefined) throw new Error('the fixture has no marathon/nginx task');
  tasks.push({ ...template, id: `${name}.1`, name });
  return JSON.stringify(state);
}

function taskNames(snapshot: Snapshot): string[] {
  return (snapshot.mesos?.frameworks ?? []).flatMap((fw) => fw.tasks.map((t) => t.name));
}

/** Polls `check` every 10 ms until it is true; fails after timeoutMs. */
async function waitFor(what: string, check: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Resolves with the time (performance.now()) at which the store accepts a snapshot of `generation`. */
function whenGeneration(store: SnapshotStore, generation: number): Promise<number> {
  return new Promise((resolve) => {
    const unsubscribe = store.subscribe((s) => {
      if (s.generation >= generation) {
        unsubscribe();
        resolve(performance.now());
      }
    });
  });
}

const pollers: MesosPoller[] = [];
const dirs: string[] = [];

afterEach(async () => {
  await Promise.all(pollers.splice(0).map((p) => p.stop()));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function setup(initial: string | null): { path: string; poller: MesosPoller; store: SnapshotStore } {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-file-source-'));
  dirs.push(dir);
  const path = join(dir, 'state.json');
  if (initial !== null) writeFileSync(path, initial);
  const store = new SnapshotStore();
  const poller = new MesosPoller({
    source: new FileSource(path),
    store,
    refreshMs: 60_000,
    logger,
    resolveHost: async (h) => (h === 'localhost' ? ['127.0.0.1'] : []),
  });
  pollers.push(poller);
  return { path, poller, store };
}

/** Starts the poller and waits for the first state; then gives the watcher a moment to be in place. */
async function startLoaded(initial: string): Promise<{ path: string; poller: MesosPoller; store: SnapshotStore }> {
  const ctx = setup(initial);
  const loaded = whenGeneration(ctx.store, 1);
  ctx.poller.start();
  await loaded;
  await new Promise((resolve) => setTimeout(resolve, 200));
  return ctx;
}

describe('FileSource with MesosPoller', () => {
  it('loads the file at start', async () => {
    const { store } = await startLoaded(stateText);
    expect(store.snapshot.generation).toBe(1);
    expect(store.lastFailure).toBeNull();
    expect(store.snapshot.mesos?.leader).toBe('master@127.0.0.1:15050');
    expect(taskNames(store.snapshot)).toContain('nginx');
  });

  it('an edit in place gives a new generation within 1000 ms of the write', async () => {
    const { path, store } = await startLoaded(stateText);
    const next = whenGeneration(store, 2);
    const written = performance.now();
    writeFileSync(path, stateWithExtraTask('edited-in-place'));
    const loadedAt = await next;
    expect(loadedAt - written).toBeLessThan(1000);
    expect(store.snapshot.generation).toBe(2);
    expect(taskNames(store.snapshot)).toContain('edited-in-place');
  });

  it('a replacement by rename (how editors save) gives a new generation within 1000 ms', async () => {
    const { path, store } = await startLoaded(stateText);
    const next = whenGeneration(store, 2);
    const written = performance.now();
    writeFileSync(`${path}.tmp`, stateWithExtraTask('renamed-in'));
    renameSync(`${path}.tmp`, path);
    const loadedAt = await next;
    expect(loadedAt - written).toBeLessThan(1000);
    expect(taskNames(store.snapshot)).toContain('renamed-in');

    // And the watcher still follows the file after the replacement.
    const third = whenGeneration(store, 3);
    const again = performance.now();
    writeFileSync(path, stateWithExtraTask('after-rename'));
    expect((await third) - again).toBeLessThan(1000);
    expect(taskNames(store.snapshot)).toContain('after-rename');
  });

  it('invalid JSON keeps the last good snapshot and records SWY_UPSTREAM_MALFORMED; a good edit recovers', async () => {
    const { path, store } = await startLoaded(stateText);
    const before = store.snapshot;
    const content = JSON.stringify(before);

    writeFileSync(path, stateText.slice(0, Math.floor(stateText.length / 2)));
    await waitFor('the malformed file to be read', () => store.lastFailure !== null);
    expect(store.lastFailure?.code).toBe('SWY_UPSTREAM_MALFORMED');
    expect(store.snapshot).toBe(before);
    expect(JSON.stringify(store.snapshot)).toBe(content);

    const next = whenGeneration(store, 2);
    writeFileSync(path, stateWithExtraTask('fixed'));
    await next;
    expect(store.snapshot.generation).toBe(2);
    expect(store.lastFailure).toBeNull();
    expect(taskNames(store.snapshot)).toContain('fixed');
  });

  it('a valid JSON file without a leader keeps the last good snapshot (SWY_UPSTREAM_NO_LEADER)', async () => {
    const { path, store } = await startLoaded(stateText);
    const before = store.snapshot;
    writeFileSync(path, JSON.stringify({ frameworks: [] }));
    await waitFor('the leaderless file to be read', () => store.lastFailure !== null);
    expect(store.lastFailure?.code).toBe('SWY_UPSTREAM_NO_LEADER');
    expect(store.snapshot).toBe(before);
  });

  it('a missing file at start → SWY_STATE_FILE_UNREADABLE; creating it loads the state within 1000 ms', async () => {
    const { path, poller, store } = setup(null);
    poller.start();
    await waitFor('the first poll to fail', () => store.lastFailure !== null);
    expect(store.lastFailure?.code).toBe('SWY_STATE_FILE_UNREADABLE');
    expect(store.snapshot.generation).toBe(0);
    expect(store.snapshot.mesos).toBeNull();

    await new Promise((resolve) => setTimeout(resolve, 200));
    const loaded = whenGeneration(store, 1);
    const written = performance.now();
    writeFileSync(path, stateText);
    expect((await loaded) - written).toBeLessThan(1000);
    expect(store.lastFailure).toBeNull();
  });

  it('an unreadable path (a directory) at start → SWY_STATE_FILE_UNREADABLE', async () => {
    const { path, poller, store } = setup(null);
    mkdirSync(path);
    poller.start();
    await waitFor('the first poll to fail', () => store.lastFailure !== null);
    expect(store.lastFailure?.code).toBe('SWY_STATE_FILE_UNREADABLE');
    expect(store.snapshot.generation).toBe(0);
  });

  it('a file deleted after a good load → SWY_STATE_FILE_UNREADABLE on the next poll, the snapshot stays', async () => {
    const { path, poller, store } = await startLoaded(stateText);
    const before = store.snapshot;
    rmSync(path);
    const result = await poller.pollNow('after delete');
    expect(result.ok ? 'ok' : result.error.code).toBe('SWY_STATE_FILE_UNREADABLE');
    expect(store.lastFailure?.code).toBe('SWY_STATE_FILE_UNREADABLE');
    expect(store.snapshot).toBe(before);
  });
});
