// HaproxyView + templates → haproxy.cfg text and the two map files, in marathon-lb's section order. Pure: the same
// view and templates give byte-identical output. Sections are built as arrays and joined once.
import type { TemplateSet, TemplateVars } from './templates.js';
import type { Fragment, HaproxyView, ServiceView, WeightedRules } from './view-types.js';

export interface RenderedConfig {
  readonly config: string;
  readonly domainMap: string;
  readonly appMap: string;
  /** For each line of `config` (1-based line n at index n-1): the backend of the service that produced it, or null. */
  readonly lineOwners: readonly (string | null)[];
}

function renderFragment(fragment: Fragment, templates: TemplateSet, owner: ServiceView | null): string {
  const override = fragment.perPort ? owner?.service.overrides.get(fragment.template) : undefined;
  const template = override ?? templates.get(fragment.template);
  if (template === undefined) throw new Error(`no template HAPROXY_${fragment.template}`);
  let vars: TemplateVars = fragment.vars;
  if (fragment.nested !== undefined) {
    const inner = Object.fromEntries(Object.entries(fragment.nested).map(([key, nested]) => [key, renderFragment(nested, templates, owner)]));
    vars = { ...vars, ...inner };
  }
  return template(vars);
}

const RULE_ORDER: Readonly<Record<string, number>> = { acl: 0, 'tcp-request': 1, 'http-request': 2, redirect: 3 };

/** One output line and the backend whose fragment produced it (null for shared text), so HAProxy's complaints about a
 * line can be traced back to the app that caused it. */
interface Line {
  readonly text: string;
  readonly owner: string | null;
}

function linesOf(text: string, owner: string | null): Line[] {
  if (text === '') return [];
  const parts = text.split('\n');
  if (parts.at(-1) === '') parts.pop();
  return parts.map((t) => ({ text: t, owner }));
}

/**
 * HAProxy evaluates a frontend's http-request and redirect rules before any use_backend, whatever their order in the
 * file, and warns when they come later. Listing them in evaluation order (stable within each kind, acl lines first so
 * every ACL is declared before use) changes nothing in routing and removes the warnings marathon-lb's configs draw.
 */
function inEvaluationOrder(lines: readonly Line[]): Line[] {
  return lines
    .map((line, i) => ({ line, i, rank: RULE_ORDER[line.text.trim().split(/\s+/, 1)[0] ?? ''] ?? 4 }))
    .sort((a, b) => a.rank - b.rank || a.i - b.i)
    .map((k) => k.line);
}

/** Stable sort by weight, largest first: ties keep (appId, servicePort) order, as marathon-lb's sort does. */
function byWeight(services: readonly ServiceView[], pick: (s: ServiceView) => WeightedRules): ServiceView[] {
  return services
    .map((s, i) => ({ s, i, w: pick(s).weight }))
    .sort((a, b) => b.w - a.w || a.i - b.i)
    .map((x) => x.s);
}

export function renderConfig(view: HaproxyView, templates: TemplateSet): RenderedConfig {
  const out: Line[] = [];
  const emit = (fragment: Fragment, owner: ServiceView | null, into: Line[] = out): void => {
    into.push(...linesOf(renderFragment(fragment, templates, owner), owner?.backend ?? null));
  };
  const head = (name: string, vars: TemplateVars = view.head): void => emit({ template: name, vars, perPort: false }, null);
  const shared = (services: readonly ServiceView[], pick: (s: ServiceView) => readonly Fragment[]): void => {
    const rules: Line[] = [];
    for (const s of services) for (const f of pick(s)) emit(f, s, rules);
    out.push(...inEvaluationOrder(rules));
  };
  const services = view.services;
  head('HEAD');
  for (const s of services) for (const f of s.userlist) emit(f, s);

  if (view.bindHttpHttps) {
    head('HTTP_FRONTEND_HEAD');
    shared(byWeight(services, (s) => s.http), (s) => s.http.fragments);
  }
  head('HTTP_FRONTEND_APPID_HEAD');
  shared(services, (s) => s.appId);
  if (view.bindHttpHttps) {
    if (view.groupHttpsByVhost) {
      head('HTTPS_GROUPED_FRONTEND_HEAD');
      for (const g of view.groupedVhosts) head('HTTPS_GROUPED_VHOST_FRONTEND_ACL', { backend: g.name, host: g.vhost });
      for (const g of view.groupedVhosts) {
        head('HTTPS_GROUPED_VHOST_BACKEND_HEAD', { name: g.name });
        head('HTTPS_GROUPED_VHOST_FRONTEND_HEAD', { name: g.name, sslCerts: g.certs.map((c) => `crt ${c}`).join(' '), bindOpts: g.bindOptions.map((o) => ` ${o}`).join(' ') });
        const rules: Line[] = [];
        for (const r of g.rules) emit(r.fragment, r.owner, rules);
        out.push(...inEvaluationOrder(rules));
      }
    } else {
      head('HTTPS_FRONTEND_HEAD');
      shared(byWeight(services, (s) => s.https), (s) => s.https.fragments);
    }
  }
  for (const s of services) for (const f of s.frontend) emit(f, s);
  for (const s of services) for (const f of s.backendSection) emit(f, s);

  const mapText = (entries: readonly (readonly [string, string])[]): string => entries.map(([k, v]) => `${k} ${v}\n`).join('');
  return {
    config: out.map((l) => `${l.text}\n`).join(''),
    domainMap: mapText(view.domainMap),
    appMap: mapText(view.appMap),
    lineOwners: out.map((l) => l.owner),
  };
}

/** The server lines of one service, as renderConfig writes them (for the runtime plan). */
export function renderServerLines(service: ServiceView, templates: TemplateSet): string[] {
  return service.backendSection
    .filter((f) => f.template === 'BACKEND_SERVER_OPTIONS')
    .flatMap((f) => linesOf(renderFragment(f, templates, service), null).map((l) => l.text));
}
