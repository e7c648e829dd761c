// RecordsFeed: each offered state becomes the same RecordSet buildRecords gives, builds run one at a time in offer
// order with only the newest waiting state built next, and a large state is built in slices between which the
// event loop runs (so the DNS server keeps answering), and a failing build is reported without stopping the feed.
import { describe, expect, it } from 'vitest';
import { runInSlices } from '../../state-poller/slices.js';
import { buildRecords, type RecordSet } from '../../dns/records.js';
import { RecordsFeed } from '../../dns/records-feed.js';
import type { MesosState } from '../../state-poller/model.js';
import { normalizeMesos, parseMesosState } from '../../state-poller/normalize.js';
import { mesosStateDoc } from '../bench/scale-cluster.js';
import { RECORD_OPTIONS } from '../helpers/zone.js';

function stateOf(apps: number, tasksPerApp: number): MesosState {
  const parsed = parseMesosState(mesosStateDoc({ apps, tasksPerApp, agents: Math.max(1, apps / 10) }));
  if (!parsed.ok) throw new Error(parsed.message);
  return normalizeMesos(parsed.doc, new Map()).state;
}

type From = { readonly mesos: MesosState | null; readonly label: string };

function feedOf() {
  const installed: Array<{ label: string; records: RecordSet }> = [];
  const errors: unknown[] = [];
  const feed = new RecordsFeed<From>({
    options: RECORD_OPTIONS,
    install: (records, from) => installed.push({ label: from.label, records }),
    onError: (error) => errors.push(error),
    run: runInSlices,
    sliceMs: 2,
  });
  return { feed, installed, errors };
}

describe('RecordsFeed', () => {
  it('installs what buildRecords gives; offers during a build are built after it, only the newest', async () => {
    const small = stateOf(3, 2);
    const large = stateOf(400, 5);
    const { feed, installed } = feedOf();
    feed.offer({ mesos: large, label: 'large' });
    feed.offer({ mesos: small, label: 'skipped' });
    feed.offer({ mesos: small, label: 'small' });
    await feed.idle();
    expect(installed.map((i) => i.label)).toEqual(['large', 'small']);
    expect(installed[0]?.records).toEqual(buildRecords(large, RECORD_OPTIONS));
    expect(installed[1]?.records).toEqual(buildRecords(small, RECORD_OPTIONS));
  });

  it('lets the event loop run between slices of a large build', async () => {
    const large = stateOf(1000, 10);
    const { feed, installed } = feedOf();
    let turns = 0;
    const tick = setInterval(() => {
      if (installed.length === 0) turns++;
    }, 0);
    feed.offer({ mesos: large, label: 'large' });
    await feed.idle();
    clearInterval(tick);
    expect(installed).toHaveLength(1);
    // 10,000 tasks take far longer than one 2 ms slice: timers must have fired while the build was going on.
    expect(turns).toBeGreaterThan(5);
  });

  it('reports a build that throws and goes on with the next state', async () => {
    const { feed, installed, errors } = feedOf();
    const broken = { frameworks: null } as unknown as MesosState;
    feed.offer({ mesos: broken, label: 'broken' });
    await feed.idle();
    feed.offer({ mesos: stateOf(2, 1), label: 'good' });
    await feed.idle();
    expect(errors).toHaveLength(1);
    expect(installed.map((i) => i.label)).toEqual(['good']);
  });
});
