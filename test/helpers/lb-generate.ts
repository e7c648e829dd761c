// Test helper: the recorded Marathon documents → generated haproxy.cfg (and maps) with marathon-lb's flag set.
// Reads fixtures from disk; the generation itself is the pure core (buildView + renderConfig).
import { readFileSync } from 'node:fs';
import { normalizeMarathon } from '../../state-poller/marathon-normalize.js';
import type { MarathonApp } from '../../state-poller/model.js';
import { loadTemplateSet } from '../../lb/template-files.js';
import { renderConfig, type RenderedConfig } from '../../lb/render.js';
import { buildView, type ViewOptions } from '../../lb/view-model.js';
import type { HaproxyView } from '../../lb/view-types.js';

export const mlbFixture = (path: string): string => readFileSync(new URL(`../fixtures/marathon-lb/${path}`, import.meta.url), 'utf8');

/** The apps of one or more recorded /v2/apps documents, concatenated as the fake Marathon served them. */
export function appsOf(...paths: string[]): MarathonApp[] {
  const apps = paths.flatMap((path) => (JSON.parse(mlbFixture(path)) as { apps: unknown[] }).apps);
  const result = normalizeMarathon({ apps });
  if (!result.ok) throw new Error(result.message);
  return [...result.state.apps];
}

/** The 9-app input of the recorded runs ("combined" in fixtures/marathon-lb/generated/README.md). */
export const COMBINED = ['synthetic/fake-marathon-apps.json', 'upstream/tests/marathon15_apps.json', 'upstream/tests/zdd_apps.json'];

/** marathon-lb's defaults, as the recorded runs used them (paths are marathon-lb's defaults too). */
export const MLB_DEFAULTS: ViewOptions = {
  groups: ['external'],
  healthCheck: false,
  strictMode: false,
  frameworkName: null,
  minServPortIpPerTask: 10050,
  maxServPortIpPerTask: 10100,
  haproxyMap: false,
  haproxyDir: '/etc/haproxy',
  bindHttpHttps: true,
  groupHttpsByVhost: false,
  bindAddress: '*',
  httpPort: 80,
  httpsPort: 443,
  appIdPort: 9091,
  statsPort: 9090,
  sslCerts: ['/etc/ssl/cert.pem'],
  statsSocket: '/var/run/haproxy/socket',
  serverStateFile: '/var/state/haproxy/global',
  globalDefaultOptions: ['redispatch', 'http-server-close', 'dontlognull'],
  maxconn: 50000,
  syslogSocket: '/dev/log',
  hardStopAfterSeconds: 60,
};

export async function generate(apps: readonly MarathonApp[], options: Partial<ViewOptions> = {}): Promise<RenderedConfig & { view: HaproxyView }> {
  const view = buildView({ apps, hosts: {} }, { ...MLB_DEFAULTS, ...options }, new Map());
  const { set } = await loadTemplateSet(null);
  return { ...renderConfig(view, set), view };
}
