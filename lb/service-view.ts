// One service's part of the HAProxy view: its own frontend, its :80/:443 and app-id rules and its backend section
// (marathon-lb's config(), per service, reference §2.1–2.2). Pure: what it reads from and adds to the generation's
// shared state (map lookups emitted, map entries) is explicit, so that lb/view-cache.ts can replay it.
import { serverFragments } from './server-lines.js';
import type { Service } from './services.js';
import type { TemplateVars } from './templates.js';
import { cleaned } from './server-id.js';
import { vhostRules, type MapState, type VhostRules } from './vhost-rules.js';
import type { ViewOptions } from './view-model.js';
import type { Fragment, ServiceView } from './view-types.js';

/** The map lookups a service may emit once per generation (marathon-lb puts each in the first service needing it). */
export const MAP_LOOKUPS = ['map_http_frontend_acl', 'map_https_frontend_acl', 'map_http_frontend_appid_acl'] as const;

/** What a service's view depends on in the generation so far, besides the service and its siblings. */
export interface ServiceContext {
  /** No earlier service of the same app id routed by app id (the first HTTP one does). */
  readonly firstOfApp: boolean;
  /** Of MAP_LOOKUPS, those an earlier service emitted (map mode only). */
  readonly emitted: ReadonlySet<string>;
}

export interface BuiltService {
  readonly view: ServiceView;
  readonly rules: VhostRules | null;
  /** Whether it takes the app-id route of its app (the app is then routed, and in map mode has an app map entry). */
  readonly routesAppId: boolean;
  /** Map lookups it emitted, and its domain map entries (before the generation's duplicate check). */
  readonly emits: readonly string[];
  readonly domainMap: readonly (readonly [string, string])[];
}

/** HAProxy `bind` address text: IPv6 literals need brackets before `:port`. */
export function bindHost(address: string): string {
  return address.includes(':') && !address.startsWith('[') ? `[${address}]` : address;
}

/** The context as a string: equal keys (for the same service and siblings) build the same view. */
export function contextKey(context: ServiceContext): string {
  return `${context.firstOfApp ? 1 : 0}${MAP_LOOKUPS.map((k) => (context.emitted.has(k) ? 1 : 0)).join('')}`;
}

export function buildServiceView(service: Service, backend: string, siblings: readonly Service[], options: ViewOptions, context: ServiceContext): BuiltService {
  // The generation's map state as this service finds it; what it adds is returned and merged by the caller.
  const maps: MapState = { enabled: options.haproxyMap, haproxyDir: options.haproxyDir, emitted: new Set(context.emitted), domainMap: [] };
  const bindAddr = service.labels.BIND_ADDR ?? '*';
  const vhosts = service.labels.VHOST ?? [];
  const mode = service.mode ?? (vhosts.length > 0 ? 'http' : 'tcp');
  const auth = service.labels.AUTH ?? null;
  const f = (template: string, vars: TemplateVars): Fragment => ({ template, vars, perPort: true });
  const userlist = auth === null ? [] : [f('USERLIST_HEAD', { backend, user: auth.user, passwd: auth.passwordHash })];
  const sslCert = service.labels.SSL_CERT ?? null;
  const bindOptions = service.labels.BIND_OPTIONS ?? null;
  const frontend = [
    f('FRONTEND_HEAD', { bindAddr: bindHost(bindAddr), backend, servicePort: service.servicePort, mode, sslCert: sslCert === null ? '' : ` ssl crt ${sslCert}`, bindOptions: bindOptions === null ? '' : ` ${bindOptions}` }),
    f('FRONTEND_BACKEND_GLUE', { backend }),
  ];
  const path = service.labels.PATH ?? null;
  let rules: VhostRules | null = null;
  if (options.bindHttpHttps && vhosts.length > 0) {
    rules = vhostRules(
      {
        appId: service.appId,
        backend,
        vhosts,
        path,
        realm: auth?.realm ?? null,
        redirect: service.labels.REDIRECT_TO_HTTPS ?? false,
        sslCert,
        bindOptions,
        bindAddr,
        weight: service.labels.BACKEND_WEIGHT ?? (path !== null ? 1 : 0),
      },
      maps,
    );
  }
  const appIdRules: Fragment[] = [];
  const routesAppId = mode === 'http' && context.firstOfApp;
  if (routesAppId) {
    if (options.haproxyMap) {
      if (!maps.emitted.has('map_http_frontend_appid_acl')) {
        maps.emitted.add('map_http_frontend_appid_acl');
        appIdRules.push({ template: 'MAP_HTTP_FRONTEND_APPID_ACL', vars: { haproxy_dir: options.haproxyDir }, perPort: false });
      }
    } else {
      appIdRules.push(f('HTTP_FRONTEND_APPID_ACL', { cleanedUpAppId: cleaned(service.appId), hostname: vhosts.join(','), appId: service.appId, backend }));
    }
  }

  const sticky = service.labels.STICKY ?? false;
  const section: Fragment[] = [f('BACKEND_HEAD', { backend, balance: service.labels.BALANCE ?? 'roundrobin', mode })];
  // Backend rewrites name one host: the first vhost (marathon-lb passes the whole comma list, which cannot match).
  const hostname = vhosts[0] ?? '';
  if (mode === 'http') {
    if (service.labels.USE_HSTS === true) section.push(f('BACKEND_HSTS_OPTIONS', {}));
    section.push(f('BACKEND_HTTP_OPTIONS', {}));
    const proxypath = service.labels.HTTP_BACKEND_PROXYPASS_PATH;
    if (proxypath !== undefined) section.push(f('HTTP_BACKEND_PROXYPASS_GLUE', { hostname, proxypath }));
    const rootpath = service.labels.HTTP_BACKEND_REVPROXY_PATH;
    if (rootpath !== undefined) section.push(f('HTTP_BACKEND_REVPROXY_GLUE', { hostname, rootpath }));
    const redirpath = service.labels.HTTP_BACKEND_REDIR;
    if (redirpath !== undefined) section.push({ template: 'HTTP_BACKEND_REDIR', vars: { hostname: vhosts.join(' '), redirpath }, perPort: false });
  }
  const allowed = service.labels.BACKEND_NETWORK_ALLOWED_ACL;
  if (allowed !== undefined) {
    const kind = mode === 'http' ? 'HTTP' : 'TCP';
    for (const network of allowed) section.push(f(`${kind}_BACKEND_NETWORK_ALLOWED_ACL`, { network_allowed: network }));
    section.push({ template: `${kind}_BACKEND_ACL_ALLOW_DENY`, vars: {}, perPort: false });
  }
  if (sticky) section.push(f('BACKEND_STICKY_OPTIONS', {}));
  section.push(...serverFragments(service, mode, siblings, sticky));

  const view: ServiceView = {
    backend,
    service,
    mode,
    bindAddr,
    userlist,
    frontend,
    backendSection: section,
    http: { weight: rules?.weight ?? 0, fragments: rules?.http ?? [] },
    https: { weight: rules?.weight ?? 0, fragments: rules?.https ?? [] },
    appId: appIdRules,
  };
  const emits = MAP_LOOKUPS.filter((k) => maps.emitted.has(k) && !context.emitted.has(k));
  return { view, rules, routesAppId, emits, domainMap: maps.domainMap };
}
