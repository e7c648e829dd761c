// The :80/:443 rules of one service with a VHOST: which marathon-lb templates it uses, in which order, with which
// values (marathon-lb's generateHttpVhostAcl, branch for branch). Pure; the shared map state is passed in.
import { cleaned } from './server-id.js';
import { appIdPart } from './tasks.js';
import type { Fragment } from './view-types.js';
import type { TemplateVars } from './templates.js';

export interface VhostInput {
  readonly appId: string;
  readonly backend: string;
  readonly vhosts: readonly string[];
  readonly path: string | null;
  readonly realm: string | null;
  readonly redirect: boolean;
  readonly sslCert: string | null;
  readonly bindOptions: string | null;
  readonly bindAddr: string;
  readonly weight: number;
}

/** State shared by all services of one generation: which map lookups were emitted, and the domain map. */
export interface MapState {
  readonly enabled: boolean;
  readonly haproxyDir: string;
  readonly emitted: Set<string>;
  /** This service's domain-map entries; buildView drops the ones already there (and duplicates). */
  readonly domainMap: [string, string][];
}

export interface GroupedEntry {
  readonly weight: number;
  readonly fragment: Fragment;
}

export interface VhostRules {
  readonly weight: number;
  readonly http: Fragment[];
  readonly https: Fragment[];
  /** vhost → rules, certificates and bind options for lb.groupHttpsByVhost. */
  readonly grouped: Map<string, { rules: GroupedEntry[]; certs: Set<string>; bindOptions: Set<string> }>;
}

export function vhostRules(input: VhostInput, maps: MapState): VhostRules {
  let weight = input.weight;
  const http: Fragment[] = [];
  const https: Fragment[] = [];
  const grouped: VhostRules['grouped'] = new Map();
  const group = (host: string): { rules: GroupedEntry[]; certs: Set<string>; bindOptions: Set<string> } => {
    let entry = grouped.get(host);
    if (entry === undefined) {
      entry = { rules: [], certs: new Set(), bindOptions: new Set() };
      grouped.set(host, entry);
    }
    return entry;
  };
  // Object.assign onto a literal, not `{ ...base, ...vars }`: V8 (Node 20) gives nearly every object made by spreading
  // and then adding keys a hidden class of its own (about 300 bytes), and these are kept with the view (20k at 10k apps).
  const frag = (template: string, vars: TemplateVars, perPort = true): Fragment => ({
    template,
    vars: Object.assign({ appId: input.appId, backend: input.backend, path: input.path ?? '', realm: input.realm ?? '' }, vars),
    perPort,
  });
  const addHttps = (host: string, f: Fragment): void => {
    https.push(f);
    group(host).rules.push({ weight, fragment: f });
  };
  const mapDomain = (host: string): void => {
    maps.domainMap.push([host, input.backend]);
  };
  const mapOnce = (key: string, template: string, list: Fragment[], vars: TemplateVars = {}): Fragment | null => {
    if (maps.emitted.has(key)) return null;
    maps.emitted.add(key);
    weight = -1; // marathon-lb sorts the service that carries the map lookup last
    const f = frag(template, { haproxy_dir: maps.haproxyDir, ...vars }, false);
    list.push(f);
    return f;
  };
  const { path, realm, redirect } = input;
  const first = input.vhosts[0] ?? '';
  const acl = `${cleaned(first)}_${appIdPart(input.appId)}`;
  const hostVars = (hostname: string): TemplateVars => ({ cleanedUpHostname: acl, hostname });

  if (input.vhosts.length > 1) {
    if (path !== null) {
      if (realm !== null) {
        http.push(frag('HTTP_FRONTEND_ACL_ONLY_WITH_PATH_AND_AUTH', hostVars(first)));
        https.push(frag('HTTPS_FRONTEND_ACL_ONLY_WITH_PATH', hostVars(first)));
      } else {
        http.push(frag('HTTP_FRONTEND_ACL_ONLY_WITH_PATH', {}));
        https.push(frag('HTTPS_FRONTEND_ACL_ONLY_WITH_PATH', {}));
      }
    }
    // marathon-lb puts whatever :443 lines exist so far (the path ACL) at the head of every grouped vhost.
    const head = [...https];
    for (const host of input.vhosts) {
      const g = group(host);
      for (const f of head) g.rules.push({ weight, fragment: f });
      if (input.sslCert !== null) g.certs.add(input.sslCert);
      if (input.bindOptions !== null) g.bindOptions.add(input.bindOptions);

      if (maps.enabled && path === null && realm === null && !redirect) {
        mapOnce('map_http_frontend_acl', 'MAP_HTTP_FRONTEND_ACL_ONLY', http);
        mapDomain(host);
      } else {
        http.push(frag('HTTP_FRONTEND_ACL_ONLY', hostVars(host)));
      }

      if (path !== null) {
        addHttps(host, frag(realm !== null ? 'HTTPS_FRONTEND_ACL_WITH_AUTH_AND_PATH' : 'HTTPS_FRONTEND_ACL_WITH_PATH', hostVars(host)));
      } else if (realm !== null) {
        addHttps(host, frag('HTTPS_FRONTEND_ACL_WITH_AUTH', hostVars(host)));
      } else if (maps.enabled) {
        const f = mapOnce('map_https_frontend_acl', 'MAP_HTTPS_FRONTEND_ACL', https, { hostname: host });
        if (f !== null) group(host).rules.push({ weight, fragment: f });
        mapDomain(host);
      } else {
        addHttps(host, frag('HTTPS_FRONTEND_ACL', hostVars(host)));
      }
    }

    if (redirect) {
      http.push(frag(path !== null ? 'BACKEND_REDIRECT_HTTP_TO_HTTPS_WITH_PATH' : 'BACKEND_REDIRECT_HTTP_TO_HTTPS', { bindAddr: input.bindAddr, cleanedUpHostname: acl }));
    } else if (path !== null) {
      http.push(frag(realm !== null ? 'HTTP_FRONTEND_ROUTING_ONLY_WITH_PATH_AND_AUTH' : 'HTTP_FRONTEND_ROUTING_ONLY_WITH_PATH', { cleanedUpHostname: acl }));
    } else if (realm !== null) {
      http.push(frag('HTTP_FRONTEND_ROUTING_ONLY_WITH_AUTH', { cleanedUpHostname: acl }));
    } else if (!maps.enabled) {
      http.push(frag('HTTP_FRONTEND_ROUTING_ONLY', { cleanedUpHostname: acl }));
    }
    return { weight, http, https, grouped };
  }

  // A single vhost.
  const g = group(first);
  if (input.sslCert !== null) g.certs.add(input.sslCert);
  if (input.bindOptions !== null) g.bindOptions.add(input.bindOptions);
  if (path !== null) {
    if (redirect) {
      http.push(frag('HTTP_FRONTEND_ACL_ONLY', hostVars(first)));
      http.push(frag('HTTP_FRONTEND_ACL_ONLY_WITH_PATH', hostVars(first)));
      http.push(frag('BACKEND_REDIRECT_HTTP_TO_HTTPS_WITH_PATH', { bindAddr: input.bindAddr, cleanedUpHostname: acl }));
    } else {
      http.push(frag(realm !== null ? 'HTTP_FRONTEND_ACL_WITH_AUTH_AND_PATH' : 'HTTP_FRONTEND_ACL_WITH_PATH', hostVars(first)));
    }
    addHttps(first, frag('HTTPS_FRONTEND_ACL_ONLY_WITH_PATH', {}));
    addHttps(first, frag(realm !== null ? 'HTTPS_FRONTEND_ACL_WITH_AUTH_AND_PATH' : 'HTTPS_FRONTEND_ACL_WITH_PATH', hostVars(first)));
    return { weight, http, https, grouped };
  }
  if (redirect) {
    http.push(frag('HTTP_FRONTEND_ACL', hostVars(first)));
    http.push(frag('BACKEND_REDIRECT_HTTP_TO_HTTPS', { bindAddr: input.bindAddr, cleanedUpHostname: acl }));
  } else if (realm !== null) {
    http.push(frag('HTTP_FRONTEND_ACL_WITH_AUTH', hostVars(first)));
  } else if (maps.enabled) {
    mapOnce('map_http_frontend_acl', 'MAP_HTTP_FRONTEND_ACL', http);
    mapDomain(first);
  } else {
    http.push(frag('HTTP_FRONTEND_ACL', hostVars(first)));
  }
  if (realm !== null) {
    addHttps(first, frag('HTTPS_FRONTEND_ACL_WITH_AUTH', hostVars(first)));
  } else if (maps.enabled) {
    const f = mapOnce('map_https_frontend_acl', 'MAP_HTTPS_FRONTEND_ACL', https, { hostname: first });
    if (f !== null) g.rules.push({ weight, fragment: f });
    mapDomain(first);
  } else {
    addHttps(first, frag('HTTPS_FRONTEND_ACL', hostVars(first)));
  }
  return { weight, http, https, grouped };
}
