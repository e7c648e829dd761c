// What changed between two generated views, in words an operator can act on: which backends appeared, went away,
// or changed servers. Pure. Every config write and reload records it as its reason.
import type { HaproxyView, ServiceView } from './view-types.js';

export interface ChangeSummary {
  readonly added: readonly string[];
  readonly removed: readonly string[];
  /** Backends whose server list (address, port or draining state) changed and nothing else. */
  readonly servers: readonly string[];
  /** Backends whose other settings (rules, mode, labels, templates) changed. */
  readonly other: readonly string[];
}

function serverKey(view: ServiceView): string {
  return view.service.servers.map((x) => `${x.ip}:${x.port}${x.draining ? ' d' : ''}`).join(',');
}

// Views are immutable, so each key is computed once per view, however often views are compared.
const settingsKeys = new WeakMap<ServiceView, string>();
const serverLineKeys = new WeakMap<ServiceView, string>();
const sharedKeys = new WeakMap<HaproxyView, string>();

/** Everything but the server lines, as data: two services with the same key render the same non-server text. */
export function settingsKey(view: ServiceView): string {
  let key = settingsKeys.get(view);
  if (key === undefined) {
    const { userlist, frontend, backendSection, http, https, appId, mode, bindAddr } = view;
    const section = backendSection.filter((f) => f.template !== 'BACKEND_SERVER_OPTIONS');
    key = JSON.stringify({ userlist, frontend, section, http, https, appId, mode, bindAddr, overrides: view.service.overrideSources });
    settingsKeys.set(view, key);
  }
  return key;
}

/** The server lines as data (their template values): equal keys render equal server lines. */
export function serverLinesKey(view: ServiceView): string {
  let key = serverLineKeys.get(view);
  if (key === undefined) {
    key = JSON.stringify(view.backendSection.filter((f) => f.template === 'BACKEND_SERVER_OPTIONS'));
    serverLineKeys.set(view, key);
  }
  return key;
}

/** The shared parts of a view (heads, grouped vhosts, maps) as data. */
export function sharedKey(view: HaproxyView): string {
  let key = sharedKeys.get(view);
  if (key === undefined) {
    const grouped = view.groupedVhosts.map((g) => ({ vhost: g.vhost, certs: g.certs, bindOptions: g.bindOptions, rules: g.rules.map((r) => [r.weight, r.fragment]) }));
    key = JSON.stringify({ head: view.head, bindHttpHttps: view.bindHttpHttps, groupHttpsByVhost: view.groupHttpsByVhost, grouped, domainMap: view.domainMap, appMap: view.appMap });
    sharedKeys.set(view, key);
  }
  return key;
}

/** Compares two views backend by backend. */
export function summarizeChange(before: HaproxyView | null, after: HaproxyView): ChangeSummary {
  const index = (v: HaproxyView | null): Map<string, ServiceView> => new Map((v?.services ?? []).map((s) => [s.backend, s]));
  const old = index(before);
  const now = index(after);
  const added = [...now.keys()].filter((b) => !old.has(b));
  const removed = [...old.keys()].filter((b) => !now.has(b));
  const servers: string[] = [];
  const other: string[] = [];
  for (const [backend, view] of now) {
    const previous = old.get(backend);
    if (previous === undefined || previous === view) continue;
    if (settingsKey(previous) !== settingsKey(view)) other.push(backend);
    else if (serverKey(previous) !== serverKey(view)) servers.push(backend);
  }
  return { added, removed, servers, other };
}

export function describeChange(c: ChangeSummary): string {
  const parts: string[] = [];
  const list = (xs: readonly string[]): string => (xs.length > 5 ? `${xs.slice(0, 5).join(', ')} and ${xs.length - 5} more` : xs.join(', '));
  if (c.added.length > 0) parts.push(`added ${list(c.added)}`);
  if (c.removed.length > 0) parts.push(`removed ${list(c.removed)}`);
  if (c.servers.length > 0) parts.push(`servers changed in ${list(c.servers)}`);
  if (c.other.length > 0) parts.push(`settings changed in ${list(c.other)}`);
  return parts.length > 0 ? parts.join('; ') : 'shared sections changed';
}
