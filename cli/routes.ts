// The gateway's own HTTP routes beside the mesos-dns /v1 API: /healthz, /readyz, /metrics, /v1/lb, /v1/diagnostics.
// Pure apart from reading the live objects it is handed (pollers, DNS server, pipeline) when a request comes in.
import type { ExtraRoute, HttpAnswer } from '../dns/http-api.js';
import type { RecordSet } from '../dns/records.js';
import type { DnsStats } from '../dns/server.js';
import type { LbRuntime } from './lb-runtime.js';
import type { MarathonPollerCounters } from '../state-poller/marathon-poller.js';
import type { PollCounters } from '../state-poller/poller.js';
import type { SnapshotStore } from '../state-poller/store.js';
import { readiness, type SourceHealth } from './health.js';
import { renderMetrics, type MetricsSample } from './metrics.js';

export interface RouteContext {
  readonly store: SnapshotStore;
  readonly mesos: (() => PollCounters) | null;
  readonly marathon: (() => Pick<MarathonPollerCounters, 'fetches' | 'failures' | 'unchanged' | 'lastDurationMs'>) | null;
  readonly mesosIntervalMs: number;
  readonly marathonIntervalMs: number;
  readonly readyMaxAgeMultiple: number;
  readonly dnsStats: () => DnsStats | null;
  readonly records: () => RecordSet | null;
  readonly lb: () => LbRuntime | null;
  readonly now?: () => number;
}

const json = (status: number, body: unknown): HttpAnswer => ({ status, body });

function sourcesOf(ctx: RouteContext): SourceHealth[] {
  const out: SourceHealth[] = [];
  const health = (source: 'mesos' | 'marathon', intervalMs: number): SourceHealth => {
    const failure = ctx.store.failureOf(source);
    return { source, loadedAt: ctx.store.loadedAtOf(source), intervalMs, failure: failure === null ? null : { code: failure.code, message: failure.message } };
  };
  if (ctx.mesos !== null) out.push(health('mesos', ctx.mesosIntervalMs));
  if (ctx.marathon !== null) out.push(health('marathon', ctx.marathonIntervalMs));
  return out;
}

function sample(ctx: RouteContext, now: number): MetricsSample {
  const snapshot = ctx.store.snapshot;
  const sources: MetricsSample['sources'][number][] = [];
  const age = (source: 'mesos' | 'marathon'): number | null => {
    const at = ctx.store.loadedAtOf(source);
    return at === null ? null : (now - at) / 1000;
  };
  if (ctx.mesos !== null) sources.push({ source: 'mesos', ...ctx.mesos(), ageSeconds: age('mesos') });
  if (ctx.marathon !== null) {
    const m = ctx.marathon();
    sources.push({ source: 'marathon', polls: m.fetches, failures: m.failures, unchanged: m.unchanged, lastDurationMs: m.lastDurationMs, ageSeconds: age('marathon') });
  }
  const mesosTasks = snapshot.mesos?.frameworks.reduce((n, f) => n + f.tasks.length, 0) ?? 0;
  const marathonTasks = snapshot.marathon?.apps.reduce((n, a) => n + a.tasks.length, 0) ?? 0;
  const records = ctx.records();
  const lb = ctx.lb();
  const status = lb?.pipeline.status() ?? null;
  const skipped: Record<string, number> = {};
  for (const d of [...snapshot.diagnostics, ...(records?.diagnostics ?? []), ...(status?.diagnostics ?? [])]) skipped[d.code] = (skipped[d.code] ?? 0) + 1;
  return {
    sources,
    apps: snapshot.marathon?.apps.length ?? 0,
    tasks: snapshot.mesos !== null ? mesosTasks : marathonTasks,
    records: records === null ? null : { a: records.a.size, aaaa: records.aaaa.size, srv: records.srv.size },
    dns: ctx.dnsStats(),
    lb:
      status === null
        ? null
        : {
            writes: status.writes,
            reloads: status.reloads,
            runtimeUpdates: status.runtimeUpdates,
            runtimeFailures: status.runtimeFailures,
            failures: status.failures,
            backends: status.backends,
            pendingRemovals: status.pendingRemovals.length,
          },
    skipped,
  };
}

export function gatewayRoutes(ctx: RouteContext, next?: ExtraRoute): ExtraRoute {
  return (method, path) => {
    if (method !== 'GET' && method !== 'HEAD') return next?.(method, path) ?? null;
    const now = (ctx.now ?? Date.now)();
    switch (path) {
      case '/healthz':
        return { status: 200, body: 'ok\n' };
      case '/readyz': {
        // The first state's records are built in slices after it is loaded (seconds at 100k tasks): until then DNS
        // still answers SERVFAIL, so the gateway is not ready to serve it.
        const building = ctx.mesos !== null && ctx.store.snapshot.mesos !== null && ctx.records() === null;
        const verdict = readiness(sourcesOf(ctx), ctx.readyMaxAgeMultiple, now, building ? ['dns: building the records of the first state'] : []);
        return verdict.ready ? { status: 200, body: 'ready\n' } : { status: 503, body: `not ready:\n${verdict.reasons.map((r) => `- ${r}`).join('\n')}\n` };
      }
      case '/metrics':
        return { status: 200, body: renderMetrics(sample(ctx, now)) };
      case '/v1/lb': {
        const lb = ctx.lb();
        return lb === null ? json(404, { error: 'the load balancer is off: the config names no marathon or marathonFile' }) : json(200, lb.pipeline.status());
      }
      case '/v1/diagnostics': {
        const status = ctx.lb()?.pipeline.status() ?? null;
        return json(200, {
          upstream: ctx.store.snapshot.diagnostics,
          dns: ctx.records()?.diagnostics ?? [],
          lb: status?.diagnostics ?? [],
          lbError: status?.lastError ?? null,
          pollFailures: [ctx.store.failureOf('mesos'), ctx.store.failureOf('marathon')].filter((f) => f !== null),
        });
      }
      default:
        return next?.(method, path) ?? null;
    }
  };
}
