// Reading an app's HAPROXY_* labels against the label table, and the README's label reference generated from it.
// Pure.
import { LABELS, LABEL_LIST, TEMPLATE_OVERRIDE_NAMES, TEMPLATE_SET, isLabelName, type AppLabelName, type LabelSpec, type LabelValue, type PortLabelName } from './labels.js';

// ---------------------------------------------------------------------------------------------
// Reading an app's labels.

export type AppLabelValues = { -readonly [K in AppLabelName]?: LabelValue<K> };
export type PortLabelValues = { -readonly [K in PortLabelName]?: LabelValue<K> };

export interface PortLabels {
  readonly index: number;
  /** Per-port labels that are present and valid (absent labels are absent; see LABELS[name].default). */
  readonly values: PortLabelValues;
  /** Per-port template overrides `HAPROXY_{n}_<TEMPLATE>` as raw text (CRLF → LF); checked elsewhere. */
  readonly templates: Readonly<Record<string, string>>;
}

/** `invalid` rejects the app; `unknown` and `index-out-of-range` are warnings. */
export type LabelProblemKind = 'invalid' | 'unknown' | 'index-out-of-range';

export interface LabelProblem {
  /** The full label key, e.g. `HAPROXY_0_VHOST`. */
  readonly label: string;
  readonly kind: LabelProblemKind;
  readonly severity: 'reject' | 'warning';
  readonly reason: string;
}

export interface ReadLabelsResult {
  readonly app: AppLabelValues;
  /** One entry per service port index 0..portCount-1. */
  readonly ports: readonly PortLabels[];
  /** Sorted by label key. */
  readonly problems: readonly LabelProblem[];
  /** True when some problem has severity `reject`: the app must be left out of the config. */
  readonly rejected: boolean;
}

const PER_PORT_KEY = /^HAPROXY_(0|[1-9]\d{0,5})_(.+)$/;

/** Reads every `HAPROXY_*` label of one app; other labels are ignored. */
export function readLabels(labels: Readonly<Record<string, string>>, portCount: number): ReadLabelsResult {
  const app: Record<string, unknown> = {};
  const ports = Array.from({ length: Math.max(0, portCount) }, (_, index) => ({
    index,
    values: {} as Record<string, unknown>,
    templates: {} as Record<string, string>,
  }));
  const problems: LabelProblem[] = [];
  const warn = (label: string, kind: LabelProblemKind, reason: string): void => {
    problems.push({ label, kind, severity: 'warning', reason });
  };

  for (const key of Object.keys(labels).sort()) {
    if (!key.startsWith('HAPROXY_')) continue;
    const raw = labels[key] ?? '';
    const perPort = PER_PORT_KEY.exec(key);

    if (perPort) {
      const index = Number(perPort[1]);
      const name = perPort[2] ?? '';
      const isValueLabel = isLabelName(name) && LABELS[name].scope !== 'app';
      if (!isValueLabel && !TEMPLATE_SET.has(name)) {
        const hint = isLabelName(name) ? ` (${name} is an app-level label: use HAPROXY_${name})` : '';
        warn(key, 'unknown', `${key} is not a marathon-lb label${hint}; ignored`);
        continue;
      }
      const port = ports[index];
      if (port === undefined) {
        warn(key, 'index-out-of-range', `${key} names service port index ${index}, but the app has ${portCount} service port(s); ignored`);
        continue;
      }
      if (isValueLabel) {
        const parsed = LABELS[name].parse(raw);
        if (parsed.ok) port.values[name] = parsed.value;
        else problems.push({ label: key, kind: 'invalid', severity: 'reject', reason: `${key}: ${parsed.reason}` });
      } else {
        port.templates[name] = raw.replace(/\r\n/g, '\n');
      }
      continue;
    }

    const name = key.slice('HAPROXY_'.length);
    if (isLabelName(name) && LABELS[name].scope !== 'port') {
      const parsed = LABELS[name].parse(raw);
      if (parsed.ok) app[name] = parsed.value;
      else problems.push({ label: key, kind: 'invalid', severity: 'reject', reason: `${key}: ${parsed.reason}` });
      continue;
    }
    const hint = isLabelName(name)
      ? ` (${name} is a per-port label: use HAPROXY_{n}_${name})`
      : TEMPLATE_SET.has(name)
        ? ` (templates are overridden per port with HAPROXY_{n}_${name})`
        : '';
    warn(key, 'unknown', `${key} is not a marathon-lb label${hint}; ignored`);
  }

  problems.sort((a, b) => (a.label < b.label ? -1 : a.label > b.label ? 1 : 0));
  return {
    app: app as AppLabelValues,
    ports: ports.map((p) => ({ index: p.index, values: p.values as PortLabelValues, templates: p.templates })),
    problems,
    rejected: problems.some((p) => p.severity === 'reject'),
  };
}

/** The groups of one service port: `HAPROXY_{n}_GROUP` if set, else `HAPROXY_GROUP`, else none. */
export function portGroups(read: ReadLabelsResult, index: number): readonly string[] {
  return read.ports[index]?.values.GROUP ?? read.app.GROUP ?? [];
}

// ---------------------------------------------------------------------------------------------
// README reference.

function labelForms(s: LabelSpec<unknown>): string {
  const app = `\`HAPROXY_${s.name}\``;
  const port = `\`HAPROXY_{n}_${s.name}\``;
  return s.scope === 'app' ? app : s.scope === 'port' ? port : `${app}, ${port}`;
}

function formatDefault(v: unknown): string {
  if (v === null || v === undefined) return '–';
  return `\`${Array.isArray(v) ? v.join(',') : String(v)}\``;
}

/** A markdown table of every label, generated from LABELS, plus the template-override row. */
export function labelReferenceMarkdown(): string {
  const lines = ['| Label | Scope | Default | Description |', '|---|---|---|---|'];
  for (const s of LABEL_LIST) {
    const scope = s.scope === 'app' ? 'app' : s.scope === 'port' ? 'service port' : 'app or service port';
    const note = s.documented ? '' : ' (Undocumented in marathon-lb.)';
    lines.push(`| ${labelForms(s)} | ${scope} | ${formatDefault(s.default)} | ${s.description.replace(/\|/g, '\\|')}${note} |`);
  }
  lines.push(
    `| \`HAPROXY_{n}_<TEMPLATE>\` | service port | – | Replaces the named template for this port; \`<TEMPLATE>\` is one of ${TEMPLATE_OVERRIDE_NAMES.map((t) => `\`${t}\``).join(', ')}. |`,
  );
  return lines.join('\n') + '\n';
}
