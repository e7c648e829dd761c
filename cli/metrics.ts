// /metrics in the Prometheus text format (version 0.0.4), from one sample of the gateway's counters and gauges.
// Pure: the gateway collects the sample; this only formats it, families in a fixed order, labels escaped.

export interface MetricsSample {
  readonly sources: readonly {
    readonly source: 'mesos' | 'marathon';
    readonly polls: number;
    readonly failures: number;
    /** Polls that brought the state already served (nothing rebuilt). */
    readonly unchanged: number;
    /** Polls that parsed a state and diagnostics the same as those served (nothing rebuilt); Mesos only. */
    readonly sameState?: number;
    readonly lastDurationMs: number | null;
    /** Seconds since the last good poll; null before the first. */
    readonly ageSeconds: number | null;
  }[];
  readonly apps: number;
  readonly tasks: number;
  readonly records: { readonly a: number; readonly aaaa: number; readonly srv: number } | null;
  readonly dns: {
    readonly questions: Readonly<Record<string, number>>;
    readonly rcodes: Readonly<Record<string, number>>;
    readonly forwarded: number;
    readonly forwardFailures: number;
    readonly truncated: number;
    readonly malformed: number;
    readonly fastAnswered: number;
  } | null;
  readonly lb: {
    readonly writes: number;
    readonly reloads: number;
    readonly runtimeUpdates: number;
    readonly runtimeFailures: number;
    readonly failures: number;
    readonly backends: number;
    readonly pendingRemovals: number;
  } | null;
  /** Items left out right now (tasks, apps, ports, names), by diagnostic code. */
  readonly skipped: Readonly<Record<string, number>>;
}

type Labels = Readonly<Record<string, string>>;

function escape(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

class Families {
  private readonly out: string[] = [];

  family(name: string, type: 'counter' | 'gauge', help: string, samples: readonly (readonly [Labels, number])[]): void {
    if (samples.length === 0) return;
    this.out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples) {
      const keys = Object.keys(labels).sort();
      const text = keys.length === 0 ? '' : `{${keys.map((k) => `${k}="${escape(labels[k] ?? '')}"`).join(',')}}`;
      this.out.push(`${name}${text} ${Number.isFinite(value) ? value : 0}`);
    }
  }

  text(): string {
    return this.out.length === 0 ? '' : `${this.out.join('\n')}\n`;
  }
}

const byKey = (record: Readonly<Record<string, number>>, label: string): [Labels, number][] =>
  Object.keys(record)
    .sort()
    .map((k) => [{ [label]: k }, record[k] ?? 0]);

export function renderMetrics(m: MetricsSample): string {
  const f = new Families();
  const per = (pick: (s: MetricsSample['sources'][number]) => number | null): [Labels, number][] =>
    m.sources.flatMap((s) => {
      const v = pick(s);
      return v === null ? [] : [[{ source: s.source }, v] as [Labels, number]];
    });
  f.family('switchyard_polls_total', 'counter', 'Polls of each upstream source.', per((s) => s.polls));
  f.family('switchyard_poll_errors_total', 'counter', 'Failed polls of each upstream source (the last good state was kept).', per((s) => s.failures));
  f.family('switchyard_polls_unchanged_total', 'counter', 'Polls that brought the state already served, recognised before parsing (nothing rebuilt).', per((s) => s.unchanged));
  f.family('switchyard_polls_same_state_total', 'counter', 'Polls that parsed a state and diagnostics the same as those served, most often from a new body (compared, nothing rebuilt).', per((s) => s.sameState ?? null));
  f.family('switchyard_poll_duration_seconds', 'gauge', 'Duration of the last poll of each source.', per((s) => (s.lastDurationMs === null ? null : s.lastDurationMs / 1000)));
  f.family('switchyard_snapshot_age_seconds', 'gauge', 'Seconds since the last good poll of each source.', per((s) => s.ageSeconds));
  f.family('switchyard_apps', 'gauge', 'Marathon apps in the current snapshot.', [[{}, m.apps]]);
  f.family('switchyard_tasks', 'gauge', 'Tasks in the current snapshot (Mesos tasks, or Marathon tasks without Mesos).', [[{}, m.tasks]]);
  if (m.records !== null) {
    f.family('switchyard_dns_records', 'gauge', 'DNS names with records, by type.', [
      [{ type: 'A' }, m.records.a],
      [{ type: 'AAAA' }, m.records.aaaa],
      [{ type: 'SRV' }, m.records.srv],
    ]);
  }
  if (m.dns !== null) {
    f.family('switchyard_dns_questions_total', 'counter', 'DNS questions, by type.', byKey(m.dns.questions, 'type'));
    f.family('switchyard_dns_responses_total', 'counter', 'DNS responses, by rcode.', byKey(m.dns.rcodes, 'rcode'));
    f.family('switchyard_dns_forwarded_total', 'counter', 'Questions forwarded to upstream resolvers.', [[{}, m.dns.forwarded]]);
    f.family('switchyard_dns_forward_failures_total', 'counter', 'Forwarded questions every resolver failed.', [[{}, m.dns.forwardFailures]]);
    f.family('switchyard_dns_truncated_total', 'counter', 'UDP answers sent truncated (TC).', [[{}, m.dns.truncated]]);
    f.family('switchyard_dns_malformed_total', 'counter', 'DNS messages dropped as malformed.', [[{}, m.dns.malformed]]);
    f.family('switchyard_dns_fast_answered_total', 'counter', 'UDP questions answered by copying from the answer table (the rest went through the general path).', [[{}, m.dns.fastAnswered]]);
  }
  if (m.lb !== null) {
    f.family('switchyard_lb_config_writes_total', 'counter', 'HAProxy config files written.', [[{}, m.lb.writes]]);
    f.family('switchyard_lb_reloads_total', 'counter', 'HAProxy reloads (structural changes).', [[{}, m.lb.reloads]]);
    f.family('switchyard_lb_runtime_updates_total', 'counter', 'Server changes applied through the runtime API, without a reload.', [[{}, m.lb.runtimeUpdates]]);
    f.family('switchyard_lb_runtime_failures_total', 'counter', 'Runtime API updates that failed (a reload followed).', [[{}, m.lb.runtimeFailures]]);
    f.family('switchyard_lb_failures_total', 'counter', 'Generations not applied (rejected config, write or reload failure).', [[{}, m.lb.failures]]);
    f.family('switchyard_lb_backends', 'gauge', 'Backends in the current HAProxy config.', [[{}, m.lb.backends]]);
    f.family('switchyard_lb_pending_removals', 'gauge', 'Servers in maintenance waiting for their connections to end.', [[{}, m.lb.pendingRemovals]]);
  }
  f.family('switchyard_skipped', 'gauge', 'Items left out of the current snapshot, records or HAProxy config, by reason.', byKey(m.skipped, 'reason'));
  return f.text();
}
