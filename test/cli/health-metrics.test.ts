// /readyz's verdicts and /metrics' text format (cli/health.ts, cli/metrics.ts), as tables of input → output, and
// /readyz through the gateway's routes while the first state's records are being built.
import { describe, expect, it } from 'vitest';
import { readiness } from '../../cli/health.js';
import { renderMetrics, type MetricsSample } from '../../cli/metrics.js';
import { gatewayRoutes } from '../../cli/routes.js';
import { buildRecords, type RecordSet } from '../../dns/records.js';
import { SnapshotStore } from '../../state-poller/store.js';
import { RECORD_OPTIONS } from '../helpers/zone.js';

describe('readiness', () => {
  const now = 1_000_000;
  it.each([
    [[{ source: 'mesos' as const, loadedAt: now - 1000, intervalMs: 60_000, failure: null }], { ready: true }],
    [[{ source: 'mesos' as const, loadedAt: null, intervalMs: 60_000, failure: null }], { ready: false, reasons: ['mesos: no state loaded yet'] }],
    [
      [{ source: 'marathon' as const, loadedAt: null, intervalMs: 300_000, failure: { code: 'SWY_UPSTREAM_UNAVAILABLE', message: 'no Marathon answered' } }],
      { ready: false, reasons: ['marathon: no state loaded yet (last poll: SWY_UPSTREAM_UNAVAILABLE: no Marathon answered)'] },
    ],
    [
      [
        { source: 'mesos' as const, loadedAt: now - 200_000, intervalMs: 60_000, failure: { code: 'SWY_UPSTREAM_HTTP_STATUS', message: 'status 503' } },
        { source: 'marathon' as const, loadedAt: now, intervalMs: 300_000, failure: null },
      ],
      { ready: false, reasons: ['mesos: the last good state is 200 s old, more than 180 s (last poll: SWY_UPSTREAM_HTTP_STATUS: status 503)'] },
    ],
  ])('%j → %j', (sources, verdict) => {
    expect(readiness(sources, 3, now)).toEqual(verdict);
  });
});

describe('renderMetrics', () => {
  const sample: MetricsSample = {
    sources: [
      { source: 'mesos', polls: 5, failures: 1, unchanged: 3, sameState: 1, lastDurationMs: 12, ageSeconds: 3.5 },
      { source: 'marathon', polls: 2, failures: 0, unchanged: 0, lastDurationMs: null, ageSeconds: null },
    ],
    apps: 3,
    tasks: 7,
    records: { a: 10, aaaa: 0, srv: 4 },
    dns: { questions: { SRV: 2, A: 9 }, rcodes: { NOERROR: 10, NXDOMAIN: 1 }, forwarded: 0, forwardFailures: 0, truncated: 1, malformed: 0, fastAnswered: 8 },
    lb: { writes: 4, reloads: 1, runtimeUpdates: 3, runtimeFailures: 0, failures: 0, backends: 2, pendingRemovals: 0 },
    skipped: { 'SWY_LB_LABEL_INVALID': 1, 'SWY_DNS_NAME_SKIPPED': 2 },
  };
  const text = renderMetrics(sample);

  it.each([
    'switchyard_polls_total{source="mesos"} 5',
    'switchyard_poll_errors_total{source="mesos"} 1',
    'switchyard_polls_unchanged_total{source="mesos"} 3',
    'switchyard_polls_same_state_total{source="mesos"} 1',
    'switchyard_poll_duration_seconds{source="mesos"} 0.012',
    'switchyard_snapshot_age_seconds{source="mesos"} 3.5',
    'switchyard_apps 3',
    'switchyard_tasks 7',
    'switchyard_dns_records{type="SRV"} 4',
    'switchyard_dns_questions_total{type="A"} 9',
    'switchyard_dns_responses_total{rcode="NXDOMAIN"} 1',
    'switchyard_dns_truncated_total 1',
    'switchyard_dns_fast_answered_total 8',
    'switchyard_lb_reloads_total 1',
    'switchyard_lb_runtime_updates_total 3',
    'switchyard_skipped{reason="SWY_LB_LABEL_INVALID"} 1',
  ])('has the line %s', (line) => {
    expect(text.split('\n')).toContain(line);
  });

  it('gives every family one HELP and one TYPE line before its samples, and leaves out unknown values', () => {
    const lines = text.trim().split('\n');
    const families = lines.filter((l) => l.startsWith('# TYPE ')).map((l) => l.split(' ')[2]);
    expect(new Set(families).size).toBe(families.length);
    for (const line of lines.filter((l) => !l.startsWith('#'))) {
      const name = line.split(/[{ ]/)[0] ?? '';
      expect(families).toContain(name);
      expect(line).toMatch(/^[a-z_]+(\{[a-z]+="[^"]*"(,[a-z]+="[^"]*")*\})? -?[0-9.e+-]+$/);
    }
    expect(text).not.toContain('switchyard_poll_duration_seconds{source="marathon"}');
    // Only the Mesos poller compares states once parsed: Marathon's apps are known again by their bytes instead.
    expect(text).not.toContain('switchyard_polls_same_state_total{source="marathon"}');
    expect(renderMetrics({ ...sample, dns: null, lb: null, records: null })).not.toContain('switchyard_dns_');
  });
});

describe('/readyz while the first records are built', () => {
  const store = new SnapshotStore();
  let records: RecordSet | null = null;
  const routes = gatewayRoutes({
    store,
    mesos: () => ({ polls: 1, failures: 0, unchanged: 0, sameState: 0, lastDurationMs: 5 }),
    marathon: null,
    mesosIntervalMs: 60_000,
    marathonIntervalMs: 300_000,
    readyMaxAgeMultiple: 3,
    dnsStats: () => null,
    records: () => records,
    lb: () => null,
  });
  const readyz = () => routes('GET', '/readyz');

  it('is not ready between the state being loaded and its records being served, then ready', () => {
    expect(readyz()?.status).toBe(503);
    store.accept({ leader: 'master@127.0.0.1:5050', leaderAddress: null, agents: [], frameworks: [] }, [], Date.now());
    expect(readyz()).toEqual({ status: 503, body: 'not ready:\n- dns: building the records of the first state\n' });
    records = buildRecords(store.snapshot.mesos, RECORD_OPTIONS);
    expect(readyz()).toEqual({ status: 200, body: 'ready\n' });
  });
});
