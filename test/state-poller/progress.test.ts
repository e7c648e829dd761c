// Progress reports of a slow first load (state-poller/progress.ts): nothing for a quick load, a line a second and
// one per finished step for a slow one.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Progress } from '../../state-poller/progress.js';

let lines: { msg: string; step?: string }[] = [];
const logger = pino(
  new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const l of chunk.toString().split('\n')) if (l !== '') lines.push(JSON.parse(l) as { msg: string });
      done();
    },
  }),
);

beforeEach(() => {
  lines = [];
  vi.useFakeTimers();
});
afterEach(() => vi.useRealTimers());

describe('Progress', () => {
  it('reports a long synchronous step when it ends, though the timer could not fire during it', () => {
    const p = new Progress(logger, 'loading the Mesos state');
    p.at('normalizing');
    vi.setSystemTime(Date.now() + 1500); // the clock moves, but no timer runs: as during synchronous work
    p.at('building records');
    p.done();
    expect(lines.map((l) => l.msg)).toEqual(['loading the Mesos state: normalizing done', 'loading the Mesos state: done']);
  });

  it('says nothing about a load that takes under a second', () => {
    const p = new Progress(logger, 'loading the Mesos state');
    p.at('fetching');
    vi.advanceTimersByTime(900);
    p.at('normalizing');
    p.done();
    vi.advanceTimersByTime(5000);
    expect(lines).toEqual([]);
  });

  it('logs once a second while a load is slow, then each step it finishes, then the total', () => {
    const p = new Progress(logger, 'loading the Marathon apps');
    p.at('fetching');
    vi.advanceTimersByTime(2500);
    p.at('normalizing', { apps: 10000 });
    p.done({ apps: 10000 });
    vi.advanceTimersByTime(3000);
    expect(lines.map((l) => l.msg)).toEqual([
      'loading the Marathon apps: still fetching',
      'loading the Marathon apps: still fetching',
      'loading the Marathon apps: fetching done',
      'loading the Marathon apps: done',
    ]);
  });
});
