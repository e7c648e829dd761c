// HaproxyView + templates → haproxy.cfg text and the two map files, in marathon-lb's section order. Pure: the same
// view and templates give byte-identical output. Sections are built as arrays and joined once.
import type { TemplateSet, TemplateVars } from './templates.js';
import type { Fragment, HaproxyView, ServiceView, WeightedRules } from './view-types.js';

export interface RenderedConfig {
  readonly config: string;
  readonly domainMap: string;
  readonly appMap: string;
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

/**
 * HAProxy evaluates a frontend's http-request and redirect rules before any use_backend, whatever their order in the
 * file, and warns when they come later. Listing them in evaluation order (stable within each kind, acl lines first so
 * every ACL is declared before use) changes nothing in routing and removes the warnings marathon-lb's configs draw.
 */
function inEvaluationOrder(text: string): string {
  const lines = text.split('\n');
  const trailing = lines.at(-1) === '' ? lines.pop() : undefined;
  const keyed = lines.map((line, i) => ({ line, i, rank: RULE_ORDER[line.trim().split(/\s+/, 1)[0] ?? ''] ?? 4 }));
  keyed.sort((a, b) => a.rank - b.rank || a.i - b.i);
  return keyed.map((k) => k.line).join('\n') + (trailing === undefined ? '' : '\n');
}

/** Stable sort by weight, largest first: ties keep (appId, servicePort) order, as marathon-lb's sort does. */
function byWeight(services: readonly ServiceView[], pick: (s: ServiceView) => WeightedRules): ServiceView[] {
  return services
    .map((s, i) => ({ s, i, w: pick(s).weight }))
    .sort((a, b) => b.w - a.w || a.i - b.i)
    .map((x) => x.s);
}

function rulesOf(services: readonly ServiceView[], pick: (s: ServiceView) => WeightedRules, templates: TemplateSet): string {
  return byWeight(services, pick)
    .flatMap((s) => pick(s).fragments.map((f) => renderFragment(f, templates, s)))
    .join('');
}

export function renderConfig(view: HaproxyView, templates: TemplateSet): RenderedConfig {
  const head = (name: string, vars: TemplateVars = view.head): string => renderFragment({ template: name, vars, perPort: false }, templates, null);
  const services = view.services;
  const out: string[] = [head('HEAD')];
  for (const s of services) for (const f of s.userlist) out.push(renderFragment(f, templates, s));

  if (view.bindHttpHttps) {
    out.push(head('HTTP_FRONTEND_HEAD'), inEvaluationOrder(rulesOf(services, (s) => s.http, templates)));
  }
  out.push(head('HTTP_FRONTEND_APPID_HEAD'));
  out.push(inEvaluationOrder(services.flatMap((s) => s.appId.map((f) => renderFragment(f, templates, s))).join('')));
  if (view.bindHttpHttps) {
    if (view.groupHttpsByVhost) {
      out.push(head('HTTPS_GROUPED_FRONTEND_HEAD'));
      for (const g of view.groupedVhosts) out.push(head('HTTPS_GROUPED_VHOST_FRONTEND_ACL', { backend: g.name, host: g.vhost }));
      for (const g of view.groupedVhosts) {
        out.push(head('HTTPS_GROUPED_VHOST_BACKEND_HEAD', { name: g.name }));
        out.push(
          head('HTTPS_GROUPED_VHOST_FRONTEND_HEAD', {
            name: g.name,
            sslCerts: g.certs.map((c) => `crt ${c}`).join(' '),
            bindOpts: g.bindOptions.map((o) => ` ${o}`).join(' '),
          }),
        );
        out.push(inEvaluationOrder(g.rules.map((r) => renderFragment(r.fragment, templates, r.owner)).join('')));
      }
    } else {
      out.push(head('HTTPS_FRONTEND_HEAD'), inEvaluationOrder(rulesOf(services, (s) => s.https, templates)));
    }
  }
  for (const s of services) for (const f of s.frontend) out.push(renderFragment(f, templates, s));
  for (const s of services) for (const f of s.backendSection) out.push(renderFragment(f, templates, s));

  const mapText = (entries: readonly (readonly [string, string])[]): string => entries.map(([k, v]) => `${k} ${v}\n`).join('');
  return { config: out.join(''), domainMap: mapText(view.domainMap), appMap: mapText(view.appMap) };
}
