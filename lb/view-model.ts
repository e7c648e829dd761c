// Every routing decision for one Marathon state: which services this load balancer serves, their frontends, vhost
// rules, backends and servers (marathon-lb's config(), reference §2.1–2.2, §2.9). Pure and deterministic.
import type { Diagnostic, MarathonApp } from '../state-poller/model.js';
import { serverLinesKey, settingsKey } from './change-summary.js';
import { bindHost, buildServiceView, contextKey, type BuiltService } from './service-view.js';
import { buildServicesSteps, type AppMemo, type Service } from './services.js';
import { finish } from './steps.js';
import { backendName, type HealthCache } from './tasks.js';
import { cleaned } from './server-id.js';
import type { GroupedVhost, HaproxyView, ServiceView } from './view-types.js';

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
  readonly exclude?: ReadonlyMap<string, Exclusion>;
}

/** A service left out because HAProxy rejected it: the fingerprint it had then, and HAProxy's complaint. */
export interface Exclusion {
  readonly fingerprint: string;
  readonly reason: string;
}

export interface ViewInput {
  readonly apps: readonly MarathonApp[];
  readonly hosts: Readonly<Record<string, readonly string[]>>;
}

/** marathon-lb's has_group: `*` takes everything, otherwise the lists must share a group. */
function servedBy(groups: readonly string[], appGroups: readonly string[]): boolean {
  return groups.includes('*') || appGroups.some((g) => groups.includes(g));
}

const NONE_EMITTED: ReadonlySet<string> = new Set();

function compareServices(a: Service, b: Service): number {
  if (a.appId !== b.appId) return a.appId < b.appId ? -1 : 1;
  return a.servicePort - b.servicePort;
}

/** Everything a service renders from, as data: equal fingerprints render the same lines. */
export function serviceFingerprint(view: ServiceView): string {
  return `${settingsKey(view)}\u0000${serverLinesKey(view)}`;
}

/**
 * What one generation may reuse from earlier ones (lb/view-cache.ts): each app's services, and each service's view
 * for the same siblings and context. Without it every app and service is built; the view is the same either way.
 */
export interface ViewMemo {
  readonly apps: AppMemo;
  getService(service: Service, siblings: readonly Service[], key: string): BuiltService | undefined;
  setService(service: Service, siblings: readonly Service[], key: string, built: BuiltService): void;
}

/** Services between the points where buildViewSteps lets its caller do other work (about a millisecond's worth). */
const SERVICES_PER_STEP = 32;

export function buildView(input: ViewInput, options: ViewOptions, cache: HealthCache, memo?: ViewMemo): HaproxyView {
  return finish(buildViewSteps(input, options, cache, memo));
}

/**
 * buildView as steps: it pauses every 32 apps (buildServicesSteps) and every SERVICES_PER_STEP services (lb/steps.ts), so that
 * the pipeline builds a 10k-app view in slices; the view is the same either way.
 */
export function* buildViewSteps(input: ViewInput, options: ViewOptions, cache: HealthCache, memo?: ViewMemo): Generator<void, HaproxyView> {
  const built = yield* buildServicesSteps(input.apps, input.hosts, options, cache, memo?.apps);
  const diagnostics: Diagnostic[] = [...built.diagnostics];
  const emitted = new Set<string>();
  const domainMap: [string, string][] = [];
  const domainKeys = new Set<string>();
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
  const sharedPorts = [options.statsPort, options.appIdPort, ...(options.bindHttpHttps ? [options.httpPort, options.httpsPort] : [])];
  for (const port of sharedPorts) claim(port, options.bindAddress, 'a shared frontend of this load balancer');

  let count = 0;
  for (const service of sorted) {
    if (++count % SERVICES_PER_STEP === 0) yield;
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

    const siblings = siblingsOf.get(service.appId) ?? [];
    const context = { firstOfApp: !appIdsRouted.has(service.appId), emitted: options.haproxyMap ? emitted : NONE_EMITTED };
    const key = contextKey(context);
    const known = memo?.getService(service, siblings, key);
    const made = known ?? buildServiceView(service, backend, siblings, options, context);
    if (known === undefined) memo?.setService(service, siblings, key, made);
    // The service's additions to the generation's shared state, as the one-pass loop made them before.
    if (made.routesAppId) {
      appIdsRouted.add(service.appId);
      // appIdsRouted keeps one entry per app id, as marathon-lb's duplicate check does.
      if (options.haproxyMap) appMap.push([service.appId, backend]);
    }
    for (const e of made.emits) emitted.add(e);
    for (const entry of made.domainMap) {
      const k = `${entry[0]}\u0000${entry[1]}`;
      if (domainKeys.has(k)) continue;
      domainKeys.add(k);
      domainMap.push([entry[0], entry[1]]);
    }

    const view = made.view;
    const excluded = options.exclude?.get(backend);
    if (excluded !== undefined && excluded.fingerprint === serviceFingerprint(view)) {
      diagnostics.push({ code: 'SWY_HAPROXY_CONFIG_INVALID', source: 'lb', subject: service.appId, message: `${subject}: HAProxy rejected its lines (${excluded.reason}); this port is left out until it changes` });
      excludedBackends.push(backend);
      continue;
    }
    views.push(view);
    if (options.groupHttpsByVhost && made.rules !== null) {
      for (const [host, entry] of made.rules.grouped) {
        const target = grouped.get(host) ?? { rules: [], certs: new Set(), bindOptions: new Set() };
        for (const rule of entry.rules) target.rules.push({ weight: rule.weight, fragment: rule.fragment, owner: view });
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
    domainMap,
    appMap,
    diagnostics,
    excluded: excludedBackends,
    healthCache: built.healthCache,
  };
}
