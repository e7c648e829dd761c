// The one table of marathon-lb app labels (HAPROXY_*): name, scope, parser, default and description of each.
// Pure data. Parsers are in label-parsers.ts, reading an app's labels in label-reader.ts.
import {
  intParser,
  parseAuth,
  parseBalance,
  parseBindAddr,
  parseBindOptions,
  parseBool,
  parseCidrList,
  parseDeploymentGroup,
  parseGroups,
  parseMode,
  parsePath,
  parsePathExpression,
  parsePort,
  parseSslCert,
  parseTimestamp,
  parseVhosts,
  tokenParser,
  type ParseResult,
} from './label-parsers.js';

/** `app`: HAPROXY_NAME only; `port`: HAPROXY_{n}_NAME only; `both`: either form (the per-port one wins). */
export type LabelScope = 'app' | 'port' | 'both';

export interface LabelSpec<T> {
  /** The suffix after `HAPROXY_` or `HAPROXY_{n}_`, e.g. `VHOST`. */
  readonly name: string;
  readonly scope: LabelScope;
  /** Parses the raw value; a failure reason says what is wrong (readLabels prefixes the label name). */
  readonly parse: (raw: string) => ParseResult<T>;
  /** marathon-lb's value when the label is absent (null: none, or derived from something else). */
  readonly default: T | null;
  /** One sentence with marathon-lb's meaning, for the README. */
  readonly description: string;
  /** False for labels marathon-lb reads or writes but Longhelp does not document. */
  readonly documented: boolean;
}

// ---------------------------------------------------------------------------------------------
// The table.

function spec<T, const S extends LabelScope>(s: LabelSpec<T> & { readonly scope: S }): LabelSpec<T> & { readonly scope: S } {
  return s;
}

export const LABELS = {
  GROUP: spec({
    name: 'GROUP',
    scope: 'both',
    parse: parseGroups,
    default: null,
    documented: true,
    description:
      "Comma-separated load-balancer groups: the app (or, per port, the service port, which overrides the app-level label) is exposed only by LBs whose `--group` intersects it; `--group '*'` takes everything.",
  }),
  DEPLOYMENT_GROUP: spec({
    name: 'DEPLOYMENT_GROUP',
    scope: 'app',
    parse: parseDeploymentGroup,
    default: null,
    documented: true,
    description: 'Zero-downtime deployment group: the app id is rewritten to `/<group>` and the two apps of a blue/green pair are merged into one backend.',
  }),
  DEPLOYMENT_ALT_PORT: spec({
    name: 'DEPLOYMENT_ALT_PORT',
    scope: 'app',
    parse: parsePort,
    default: null,
    documented: true,
    description: 'Alternate service port used by the second colour during a blue/green deployment (read by zdd.py only).',
  }),
  DEPLOYMENT_COLOUR: spec({
    name: 'DEPLOYMENT_COLOUR',
    scope: 'app',
    parse: tokenParser('deployment colour'),
    default: null,
    documented: true,
    description: 'Blue/green deployment colour (`blue` or `green`), set by zdd.py to track the state of a deploy.',
  }),
  DEPLOYMENT_STARTED_AT: spec({
    name: 'DEPLOYMENT_STARTED_AT',
    scope: 'app',
    parse: parseTimestamp,
    default: null,
    documented: true,
    description: 'ISO timestamp at which the deployment started; when merging a pair, the app with the older value is the old one (absent counts as oldest).',
  }),
  DEPLOYMENT_TARGET_INSTANCES: spec({
    name: 'DEPLOYMENT_TARGET_INSTANCES',
    scope: 'app',
    parse: intParser(0, 1_000_000),
    default: null,
    documented: true,
    description: 'Target instance count of the deployment, used to compute how many old tasks to drain (only when `HAPROXY_DEPLOYMENT_NEW_INSTANCES` is present).',
  }),
  DEPLOYMENT_NEW_INSTANCES: spec({
    name: 'DEPLOYMENT_NEW_INSTANCES',
    scope: 'app',
    parse: intParser(0, 1_000_000),
    default: null,
    documented: false,
    description: 'Marks a hybrid (traffic-split) deployment; the new app is then the one with the later `versionInfo.lastScalingAt`.',
  }),
  APP_ID: spec({
    name: 'APP_ID',
    scope: 'app',
    parse: parseDeploymentGroup,
    default: null,
    documented: false,
    description: 'Original app id, set by zdd.py on the coloured copies; marathon-lb does not read it.',
  }),
  VHOST: spec({
    name: 'VHOST',
    scope: 'port',
    parse: parseVhosts,
    default: null,
    documented: true,
    description: 'Comma-separated virtual hostnames (lower-cased) routed to this port by the :80/:443 frontends; setting it makes the default mode `http`.',
  }),
  PATH: spec({
    name: 'PATH',
    scope: 'port',
    parse: parsePathExpression,
    default: null,
    documented: true,
    description: 'A `path_beg` expression (paths, optionally with flags such as `-i`, separated by spaces) that requests must also match; requires a VHOST and raises a weight of 0 to 1.',
  }),
  BACKEND_WEIGHT: spec({
    name: 'BACKEND_WEIGHT',
    scope: 'port',
    parse: intParser(-1_000_000, 1_000_000),
    default: 0,
    documented: true,
    description: 'Integer ordering the vhost/path rules of all apps, largest first (stable, so ties keep app id and service port order).',
  }),
  PORT: spec({
    name: 'PORT',
    scope: 'port',
    parse: parsePort,
    default: null,
    documented: true,
    description: 'Service port to bind the frontend on (and to name the frontend and backend), overriding the Marathon service port.',
  }),
  BIND_ADDR: spec({
    name: 'BIND_ADDR',
    scope: 'port',
    parse: parseBindAddr,
    default: '*',
    documented: true,
    description: "Address the port's frontend binds to.",
  }),
  BIND_OPTIONS: spec({
    name: 'BIND_OPTIONS',
    scope: 'port',
    parse: parseBindOptions,
    default: null,
    documented: true,
    description: "Extra options appended to the port's `bind` line (and to the per-vhost TLS frontends with `--group-https-by-vhost`).",
  }),
  SSL_CERT: spec({
    name: 'SSL_CERT',
    scope: 'port',
    parse: parseSslCert,
    default: null,
    documented: true,
    description: "Certificate path: adds `ssl crt <path>` to the port's own frontend bind (with `--group-https-by-vhost`, the vhost's certificate).",
  }),
  MODE: spec({
    name: 'MODE',
    scope: 'port',
    parse: parseMode,
    default: null,
    documented: true,
    description: 'Connection mode, `http` or `tcp`; when absent it is `http` if a VHOST is set or the port has an `HTTP` health check, otherwise `tcp`.',
  }),
  BALANCE: spec({
    name: 'BALANCE',
    scope: 'port',
    parse: parseBalance,
    default: 'roundrobin',
    documented: true,
    description: 'HAProxy load-balancing algorithm of the backend.',
  }),
  STICKY: spec({
    name: 'STICKY',
    scope: 'port',
    parse: parseBool,
    default: false,
    documented: true,
    description: 'Enables sticky sessions: a cookie-insert option on the backend and a per-server cookie.',
  }),
  REDIRECT_TO_HTTPS: spec({
    name: 'REDIRECT_TO_HTTPS',
    scope: 'port',
    parse: parseBool,
    default: false,
    documented: true,
    description: "Redirects plain HTTP for the port's vhosts (and path) to HTTPS with a 301; requires a VHOST.",
  }),
  USE_HSTS: spec({
    name: 'USE_HSTS',
    scope: 'port',
    parse: parseBool,
    default: false,
    documented: true,
    description: 'Adds the Strict-Transport-Security response header to the backend (http mode only).',
  }),
  AUTH: spec({
    name: 'AUTH',
    scope: 'port',
    parse: parseAuth,
    default: null,
    documented: true,
    description: 'HTTP basic auth as `realm:user:passwordhash`: creates a userlist for the backend and auth rules on the :80/:443 frontends.',
  }),
  ENABLED: spec({
    name: 'ENABLED',
    scope: 'port',
    parse: parseBool,
    default: null,
    documented: true,
    description: 'Enables the port; every port is enabled unless `--strict-mode` is set, in which case only ports with this label true are.',
  }),
  HTTP_BACKEND_PROXYPASS_PATH: spec({
    name: 'HTTP_BACKEND_PROXYPASS_PATH',
    scope: 'port',
    parse: parsePath,
    default: null,
    documented: true,
    description: 'Path prefix stripped from requests before they reach the servers (also sets the Host header to the vhost).',
  }),
  HTTP_BACKEND_REVPROXY_PATH: spec({
    name: 'HTTP_BACKEND_REVPROXY_PATH',
    scope: 'port',
    parse: parsePath,
    default: null,
    documented: true,
    description: 'Path used to rewrite `Location` response headers sent by the reverse-proxied servers.',
  }),
  HTTP_BACKEND_REDIR: spec({
    name: 'HTTP_BACKEND_REDIR',
    scope: 'port',
    parse: parsePath,
    default: null,
    documented: true,
    description: "Path that requests for `/` on the port's vhost are redirected to with a 301 (a value, so the template of the same name cannot be overridden per app).",
  }),
  BACKEND_NETWORK_ALLOWED_ACL: spec({
    name: 'BACKEND_NETWORK_ALLOWED_ACL',
    scope: 'port',
    parse: parseCidrList,
    default: null,
    documented: true,
    description: 'Whitespace-separated IPs/CIDRs allowed to use the backend; everyone else is denied (every IP is allowed when absent).',
  }),
  BACKEND_HEALTHCHECK_PORT_INDEX: spec({
    name: 'BACKEND_HEALTHCHECK_PORT_INDEX',
    scope: 'port',
    parse: intParser(0, 1000, 'a port index'),
    default: null,
    documented: true,
    description: "Index of the task port that health-checks this port's servers (by default the port's own index); out-of-range values fall back to it.",
  }),
} as const;

type Specs = typeof LABELS;
export type LabelName = keyof Specs;
export type LabelValue<K extends LabelName> = Specs[K] extends LabelSpec<infer T> ? T : never;
export type AppLabelName = { [K in LabelName]: Specs[K]['scope'] extends 'port' ? never : K }[LabelName];
export type PortLabelName = { [K in LabelName]: Specs[K]['scope'] extends 'app' ? never : K }[LabelName];

/** The table as a list, in table order. */
export const LABEL_LIST: readonly LabelSpec<unknown>[] = Object.values(LABELS);

export function isLabelName(s: string): s is LabelName {
  return Object.prototype.hasOwnProperty.call(LABELS, s);
}

/**
 * Templates that an app may override per port with `HAPROXY_{n}_<TEMPLATE>` (marathon-lb registers 40 such labels;
 * `HTTP_BACKEND_REDIR` is consumed as a value label instead, leaving these 39).
 */
export const TEMPLATE_OVERRIDE_NAMES: readonly string[] = [
  'FRONTEND_HEAD',
  'FRONTEND_BACKEND_GLUE',
  'BACKEND_HEAD',
  'BACKEND_SERVER_OPTIONS',
  'BACKEND_HTTP_OPTIONS',
  'BACKEND_HSTS_OPTIONS',
  'BACKEND_STICKY_OPTIONS',
  'BACKEND_HTTP_HEALTHCHECK_OPTIONS',
  'BACKEND_TCP_HEALTHCHECK_OPTIONS',
  'BACKEND_SERVER_HTTP_HEALTHCHECK_OPTIONS',
  'BACKEND_SERVER_TCP_HEALTHCHECK_OPTIONS',
  'HTTP_BACKEND_PROXYPASS_GLUE',
  'HTTP_BACKEND_REVPROXY_GLUE',
  'HTTP_BACKEND_NETWORK_ALLOWED_ACL',
  'TCP_BACKEND_NETWORK_ALLOWED_ACL',
  'USERLIST_HEAD',
  'HTTP_FRONTEND_ACL',
  'HTTP_FRONTEND_ACL_ONLY',
  'HTTP_FRONTEND_ROUTING_ONLY',
  'HTTP_FRONTEND_ROUTING_ONLY_WITH_AUTH',
  'HTTP_FRONTEND_ACL_WITH_PATH',
  'HTTP_FRONTEND_ACL_ONLY_WITH_PATH',
  'HTTP_FRONTEND_ROUTING_ONLY_WITH_PATH',
  'HTTP_FRONTEND_ACL_WITH_AUTH',
  'HTTP_FRONTEND_ACL_WITH_AUTH_AND_PATH',
  'HTTP_FRONTEND_ACL_ONLY_WITH_PATH_AND_AUTH',
  'HTTP_FRONTEND_ROUTING_ONLY_WITH_PATH_AND_AUTH',
  'HTTP_FRONTEND_APPID_ACL',
  'HTTPS_FRONTEND_ACL',
  'HTTPS_FRONTEND_ACL_WITH_PATH',
  'HTTPS_FRONTEND_ACL_ONLY_WITH_PATH',
  'HTTPS_FRONTEND_ACL_WITH_AUTH',
  'HTTPS_FRONTEND_ACL_WITH_AUTH_AND_PATH',
  'BACKEND_REDIRECT_HTTP_TO_HTTPS',
  'BACKEND_REDIRECT_HTTP_TO_HTTPS_WITH_PATH',
  'MAP_HTTP_FRONTEND_ACL',
  'MAP_HTTP_FRONTEND_ACL_ONLY',
  'MAP_HTTPS_FRONTEND_ACL',
  'MAP_HTTP_FRONTEND_APPID_ACL',
];
export const TEMPLATE_SET: ReadonlySet<string> = new Set(TEMPLATE_OVERRIDE_NAMES);
