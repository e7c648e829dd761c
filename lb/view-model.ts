// Every routing decision for one Marathon state: which services this load balancer serves, their frontends, vhost
// rules, backends and servers (marathon-lb's config(), reference §2.1–2.2, §2.9). Pure and deterministic.
import type { Diagnostic, MarathonApp } from '../state-poller/model.js';
import { serverFragments } from './server-lines.js';
import { serverLinesKey, settingsKey } from './change-summary.js';
import { buildServices, type Service } from './services.js';
import { backendName, type HealthCache } from './tasks.js';
import type { TemplateVars } from './templates.js';
import { cleaned, vhostRules, type MapState, type VhostRules } from './vhost-rules.js';
import type { Fragment, GroupedVhost, HaproxyView, ServiceView } from './view-types.js';

export interface ViewOptions {
  readonly groups: readonly string[];
  readonly healthCheck: boolean;
  readonly strictMode: boolean;
  readonly frameworkName: string | null;
  readonly minServPortIpPerTask: number;
  readonly maxServPortIpPerTask: number;
  readonly haproxyMap: boolean;
  /** Folder of the HAProxy config, where the map files live. */
  readonly haproxyDir: string;
  readonly bindHttpHttps: boolean;
  readonly groupHttpsByVhost: boolean;
  readonly bindAddress: string;
  readonly httpPort: number;
  readonly httpsPort: number;
  readonly appIdPort: number;
  readonly statsPort: number;
  readonly sslCerts: readonly string[];
  readonly statsSocket: string;
  readonly serverStateFile: string;
  readonly globalDefaultOptions: readonly string[];
  readonly maxconn: number;
  /** HAProxy's syslog target (`/dev/log`); null writes no `log` lines. */
  readonly syslogSocket: string | null;
  /** `hard-stop-after` of the global section, in seconds: bounds how long old workers drain after a reload. */
  readonly hardStopAfterSeconds: number;
  /**
   * Services that HAProxy rejected before, by backend: left out again while their fingerprint is unchanged, so a
   * persistent bad app costs no extra `haproxy -c` pass on every change (lb/pipeline.ts keeps this).
   */
  readonly exclude?: ReadonlyMap<string, { readonly fingerprint: string; readonly reason: string }>;
}

export interface ViewInput {
  readonly apps: readonly MarathonApp[];
  readonly hosts: Readonly<Record<string, readonly string[]>>;
}

/** marathon-lb's has_group: `*` takes everything, otherwise the lists must share a group. */
function servedBy(groups: readonly string[], appGroups: readonly string[]): boolean {
  return groups.includes('*') || appGroups.some((g) => groups.includes(g));
}

/** HAProxy `bind` address text: IPv6 literals need brackets before `:port`. */
export function bindHost(address: string): string {
  return address.includes(':') && !address.startsWith('[') ? `[${address}]` : address;
}

function compareServices(a: Service, b: Service): number {
  if (a.appId !== b.appId) return a.appId < b.appId ? -1 : 1;
  return a.servicePort - b.servicePort;
}

/** Everything a service renders from, as data: equal fingerprints render the same lines. */
export function serviceFingerprint(view: ServiceView): string {
  return `${settingsKey(view)}\u0000${serverLinesKey(view)}`;
}

export function buildView(input: ViewInput, options: ViewOptions, cache: HealthCache): HaproxyView {
  const built = buildServices(input.apps, input.hosts, options, cache);
  const diagnostics: Diagnostic[] = [...built.diagnostics];
  const maps: MapState = { enabled: options.haproxyMap, haproxyDir: options.haproxyDir, emitted: new Set(), domainMap: [], domainKeys: new Set() };
  const appMap: [string, string][] = [];
  const sorted = [...built.services].sort(compareServices);
  const siblingsOf = new Map<string, Service[]>();
  for (const s of sorted) {
    const list = siblingsOf.get(s.appId);
    if (list === undefined) siblingsOf.set(s.appId, [s]);
    else list.push(s);
  }

  const views: ServiceView[] = [];
  const excludedBackends: string[] = [];
  const appIdsRouted = new Set<string>();
  const grouped = new Map<string, { rules: GroupedVhost['rules'][number][]; certs: Set<string>; bindOptions: Set<string> }>();
  // port → who binds it on which address; looked up per port, so thousands of services stay linear.
  const claimed = new Map<number, { address: string; who: string }[]>();
  const claim = (port: number, address: string, who: string): void => {
    const list = claimed.get(port);
    if (list === undefined) claimed.set(port, [{ address, who }]);
    else list.push({ address, who });
  };
  const backendsSeen = new Set<string>();
  const sharedPorts = [options.statsPort, options.appIdPort, ...(options.bindHttpHttps ? [options.httpPort, options.httpsPort] : [])];
  for (const port of sharedPorts) claim(port, options.bindAddress, 'a shared frontend of this load balancer');

  for (const service of sorted) {
    const portGroups = service.labels.GROUP ?? service.appLabels.GROUP ?? [];
    if (!servedBy(options.groups, portGroups)) continue;
    const enabled = service.labels.ENABLED ?? !options.strictMode;
    if (!enabled) continue;
    const backend = backendName(service.appId, service.servicePort);
    const bindAddr = service.labels.BIND_ADDR ?? '*';
    const subject = `${service.appId} (service port ${service.servicePort})`;
    // HAProxy would accept two frontends on one port (SO_REUSEPORT) and split connections between them at random.
    const conflict = claimed.get(service.servicePort)?.find((c) => c.address === '*' || bindAddr === '*' || c.address === bindAddr);
    if (conflict !== undefined) {
      diagnostics.push({ code: 'SWY_LB_PORT_CONFLICT', source: 'lb', subject: service.appId, message: `${subject}: port ${service.servicePort} is already bound by ${conflict.who}; this port is left out` });
      continue;
    }
    claim(service.servicePort, bindAddr, subject);
    backendsSeen.add(backend);

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
    if (mode === 'http' && !appIdsRouted.has(service.appId)) {
      appIdsRouted.add(service.appId);
      if (options.haproxyMap) {
        if (!maps.emitted.has('map_http_frontend_appid_acl')) {
          maps.emitted.add('map_http_frontend_appid_acl');
          appIdRules.push({ template: 'MAP_HTTP_FRONTEND_APPID_ACL', vars: { haproxy_dir: options.haproxyDir }, perPort: false });
        }
        // appIdsRouted already keeps one entry per app id, as marathon-lb's duplicate check does.
        appMap.push([service.appId, backend]);
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
    section.push(...serverFragments(service, mode, siblingsOf.get(service.appId) ?? [], sticky));

    const candidate: ServiceView = {
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
    const excluded = options.exclude?.get(backend);
    if (excluded !== undefined && excluded.fingerprint === serviceFingerprint(candidate)) {
      diagnostics.push({ code: 'SWY_HAPROXY_CONFIG_INVALID', source: 'lb', subject: service.appId, message: `${subject}: HAProxy rejected its lines (${excluded.reason}); this port is left out until it changes` });
      excludedBackends.push(backend);
      continue;
    }
    const view = candidate;
    views.push(view);
    if (options.groupHttpsByVhost && rules !== null) {
      for (const [host, entry] of rules.grouped) {
        const target = grouped.get(host) ?? { rules: [], certs: new Set(), bindOptions: new Set() };
        for (const rule of entry.rules) target.rules.push({ ...rule, owner: view });
        for (const c of entry.certs) target.certs.add(c);
        for (const o of entry.bindOptions) target.bindOptions.add(o);
        grouped.set(host, target);
      }
    }
  }

  const defaultOptions = [...new Set(options.globalDefaultOptions)].sort();
  const groupedVhosts: GroupedVhost[] = [...grouped.keys()].sort().map((vhost) => {
    const entry = grouped.get(vhost);
    return {
      vhost,
      name: cleaned(vhost),
      certs: entry !== undefined && entry.certs.size > 0 ? [...entry.certs] : [...options.sslCerts],
      bindOptions: [...(entry?.bindOptions ?? [])],
      rules: [...(entry?.rules ?? [])].sort((a, b) => b.weight - a.weight),
    };
  });
  return {
    head: {
      bindAddress: bindHost(options.bindAddress),
      httpPort: options.httpPort,
      httpsPort: options.httpsPort,
      appIdPort: options.appIdPort,
      statsPort: options.statsPort,
      sslCerts: options.sslCerts.map((c) => `crt ${c}`).join(' '),
      statsSocket: options.statsSocket,
      serverStateFile: options.serverStateFile,
      defaultOptions,
      maxconn: options.maxconn,
      syslogSocket: options.syslogSocket ?? '',
      hardStopAfter: `${options.hardStopAfterSeconds}s`,
    },
    bindHttpHttps: options.bindHttpHttps,
    groupHttpsByVhost: options.groupHttpsByVhost,
    services: views,
    groupedVhosts,
    domainMap: maps.domainMap,
    appMap,
    diagnostics,
    excluded: excludedBackends,
    healthCache: built.healthCache,
  };
}
