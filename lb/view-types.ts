// The HAProxy view: every routing decision for one snapshot, as template invocations grouped by config section.
// Types only, no code. lb/view-model.ts builds it (pure); lb/render.ts turns it into text (pure).
import type { Diagnostic } from '../state-poller/model.js';
import type { Service } from './services.js';
import type { HealthCache } from './tasks.js';
import type { TemplateVars } from './templates.js';

/**
 * One use of a template. `perPort`: the service's HAPROXY_{n}_<TEMPLATE> override applies, if it has one (false for
 * the map lookups, which marathon-lb emits once, inside the first service that needs them).
 */
export interface Fragment {
  readonly template: string;
  readonly vars: TemplateVars;
  readonly perPort: boolean;
  /** Placeholders whose value is another fragment, rendered first (a server line's health-check options). */
  readonly nested?: Readonly<Record<string, Fragment>>;
}

/** Rules one service contributes to a shared frontend, with the weight they are sorted by (largest first). */
export interface WeightedRules {
  readonly weight: number;
  readonly fragments: readonly Fragment[];
}

export interface ServiceView {
  /** marathon-lb's backend name, e.g. `web_frontend_10010`; also the name of the service's own frontend. */
  readonly backend: string;
  readonly service: Service;
  readonly mode: 'http' | 'tcp';
  readonly bindAddr: string;
  readonly userlist: readonly Fragment[];
  /** The service's own frontend (bind on its service port). */
  readonly frontend: readonly Fragment[];
  readonly backendSection: readonly Fragment[];
  /** Rules on the shared :80 and :443 frontends (empty without a VHOST, or when those frontends are off). */
  readonly http: WeightedRules;
  readonly https: WeightedRules;
  readonly appId: readonly Fragment[];
}

/** One vhost of lb.groupHttpsByVhost: a TLS frontend of its own, reached from :443 by SNI. */
export interface GroupedVhost {
  readonly vhost: string;
  /** The vhost with characters outside [A-Za-z0-9-] replaced, as marathon-lb names the loopback pair. */
  readonly name: string;
  readonly certs: readonly string[];
  readonly bindOptions: readonly string[];
  /** Each with the service that contributed it, so its per-port overrides apply. */
  readonly rules: readonly { readonly weight: number; readonly fragment: Fragment; readonly owner: ServiceView }[];
}

export interface HaproxyView {
  readonly head: TemplateVars;
  readonly bindHttpHttps: boolean;
  readonly groupHttpsByVhost: boolean;
  readonly services: readonly ServiceView[];
  readonly groupedVhosts: readonly GroupedVhost[];
  /** `host backend` and `/app/id backend` lines of the map files, in marathon-lb's order. */
  readonly domainMap: readonly (readonly [string, string])[];
  readonly appMap: readonly (readonly [string, string])[];
  /** Apps, ports and labels left out, and why. */
  readonly diagnostics: readonly Diagnostic[];
  /** Backends left out because HAProxy rejected them before (ViewOptions.exclude) and they have not changed since. */
  readonly excluded: readonly string[];
  readonly healthCache: HealthCache;
}
