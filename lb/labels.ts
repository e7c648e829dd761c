// The one table of marathon-lb app labels (HAPROXY_*): strict parsers, defaults, descriptions, readLabels and the README reference.
// Pure: no I/O, no clock, no globals; label values that could break out of an HAProxy line or directive are rejected here.
import { isIPv4, isIPv6 } from 'node:net';

export type ParseResult<T> = { ok: true; value: T } | { ok: false; reason: string };

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

export interface AuthValue {
  readonly realm: string;
  readonly user: string;
  readonly passwordHash: string;
}

export interface TimestampValue {
  readonly raw: string;
  /** Milliseconds since the epoch; a value without a zone is read as UTC (marathon-lb compares naive datetimes). */
  readonly epochMs: number;
}

// ---------------------------------------------------------------------------------------------
// Parsers. Each rejects control characters first, so no value can ever carry a newline.

const CONTROL = /[\u0000-\u001f\u007f]/;

function fail<T>(reason: string): ParseResult<T> {
  return { ok: false, reason };
}

function ok<T>(value: T): ParseResult<T> {
  return { ok: true, value };
}

function describeBad(raw: string): string | null {
  if (raw.length === 0) return 'is empty';
  if (/[\r\n]/.test(raw)) return 'contains a line break';
  if (CONTROL.test(raw)) return 'contains a control character';
  if (raw.length > 4096) return 'is longer than 4096 characters';
  return null;
}

/** Wraps a parser with the checks every label shares (empty, line breaks, control characters, size). */
function guarded<T>(parse: (raw: string) => ParseResult<T>): (raw: string) => ParseResult<T> {
  return (raw) => {
    const bad = describeBad(raw);
    return bad === null ? parse(raw) : fail(`value ${bad}`);
  };
}

const TRUE_WORDS = new Set(['true', 't', 'yes', 'y']);
const FALSE_WORDS = new Set(['false', 'f', 'no', 'n']);

/** marathon-lb: true for true/t/yes/y in any case, false otherwise; we also require the false side to be a real word. */
export const parseBool = guarded<boolean>((raw) => {
  const v = raw.toLowerCase();
  if (TRUE_WORDS.has(v)) return ok(true);
  if (FALSE_WORDS.has(v)) return ok(false);
  return fail(`${JSON.stringify(raw)} is not a boolean (use true/t/yes/y or false/f/no/n, any case)`);
});

function intParser(min: number, max: number, what = 'an integer'): (raw: string) => ParseResult<number> {
  return guarded((raw) => {
    if (!/^-?\d{1,10}$/.test(raw)) return fail(`${JSON.stringify(raw)} is not ${what}`);
    const n = Number(raw);
    if (!Number.isSafeInteger(n) || n < min || n > max) return fail(`${raw} is out of range ${min}..${max}`);
    return ok(n);
  });
}

export const parsePort = intParser(1, 65535, 'a port number');

/** A name-like token: groups, deployment groups, colours. */
const TOKEN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

function tokenParser(what: string): (raw: string) => ParseResult<string> {
  return guarded((raw) =>
    TOKEN.test(raw) ? ok(raw) : fail(`${JSON.stringify(raw)} is not a valid ${what} (letters, digits, '.', '_', '-')`),
  );
}

/** Comma list of LB group names; marathon-lb splits on ',' without trimming, so spaces are refused rather than silently kept. */
export const parseGroups = guarded<readonly string[]>((raw) => {
  const parts = raw.split(',');
  for (const p of parts) {
    if (p === '') return fail('has an empty group in the comma list');
    if (p !== '*' && !TOKEN.test(p)) return fail(`group ${JSON.stringify(p)} is not a valid name (letters, digits, '.', '_', '-', or '*')`);
  }
  return ok(parts);
});

/** A deployment group or original app id: becomes the app id `/<group>`, hence backend names. */
export const parseDeploymentGroup = guarded<string>((raw) => {
  const body = raw.startsWith('/') ? raw.slice(1) : raw;
  const segments = body.split('/');
  if (segments.some((s) => !TOKEN.test(s))) {
    return fail(`${JSON.stringify(raw)} is not a valid app id / deployment group (segments of letters, digits, '.', '_', '-' separated by '/')`);
  }
  return ok(raw);
});

const HOST_LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;

/** Comma list of hostnames, lower-cased as marathon-lb does; a leading `*.` wildcard is allowed. */
export const parseVhosts = guarded<readonly string[]>((raw) => {
  const hosts = raw.toLowerCase().split(',');
  for (const h of hosts) {
    if (h === '') return fail('has an empty hostname in the comma list');
    const name = h.startsWith('*.') ? h.slice(2) : h;
    if (name.length === 0 || name.length > 253) return fail(`hostname ${JSON.stringify(h)} has an invalid length`);
    const labels = name.endsWith('.') ? name.slice(0, -1).split('.') : name.split('.');
    if (!labels.every((l) => HOST_LABEL.test(l))) {
      return fail(`${JSON.stringify(h)} is not a hostname (letters, digits, '-', '_' in dot-separated labels, optional '*.' prefix; no spaces, '#', braces or quotes)`);
    }
  }
  return ok(hosts);
});

/** URL path characters that are inert in an HAProxy line: no spaces, '#', braces, quotes, backslash, parentheses. */
const SAFE_PATH = /^\/[A-Za-z0-9._~%!$&*+,;=:@/-]*$/;

/** One absolute path (PROXYPASS, REVPROXY, REDIR). */
export const parsePath = guarded<string>((raw) =>
  SAFE_PATH.test(raw) ? ok(raw) : fail(`${JSON.stringify(raw)} is not a safe absolute path (must start with '/'; no spaces, '#', braces, quotes or backslashes)`),
);

const PATH_FLAGS = new Set(['-i', '-n', '--']);

/** A `path_beg` expression: single-space-separated flags (-i, -n, --) and paths, at least one path. */
export const parsePathExpression = guarded<string>((raw) => {
  const words = raw.split(' ');
  let paths = 0;
  for (const w of words) {
    if (w === '') return fail('has leading, trailing or repeated spaces');
    if (PATH_FLAGS.has(w)) continue;
    if (!SAFE_PATH.test(w)) {
      return fail(`${JSON.stringify(w)} is neither a path_beg flag (-i, -n, --) nor a safe path starting with '/' (no '#', braces, quotes or backslashes)`);
    }
    paths += 1;
  }
  return paths === 0 ? fail('has no path') : ok(raw);
});

export const parseMode = guarded<'http' | 'tcp'>((raw) => {
  const v = raw.toLowerCase();
  return v === 'http' || v === 'tcp' ? ok(v) : fail(`${JSON.stringify(raw)} is not a mode (http or tcp)`);
});

const BALANCE_PLAIN = new Set(['roundrobin', 'static-rr', 'leastconn', 'first', 'source', 'random', 'rdp-cookie']);
const BALANCE_WORD = /^[A-Za-z0-9_.-]+$/;

/**
 * An HAProxy `balance` algorithm. Plain algorithms are single tokens, as are hdr(name), random(n) and rdp-cookie(name);
 * `uri` and `url_param <name>` may carry their HAProxy arguments as single-space-separated words.
 */
export const parseBalance = guarded<string>((raw) => {
  const words = raw.split(' ');
  if (words.some((w) => w === '')) return fail('has leading, trailing or repeated spaces');
  const [algo = '', ...args] = words;
  const reason = `${JSON.stringify(raw)} is not an HAProxy balance algorithm (roundrobin, static-rr, leastconn, first, source, uri, url_param <name>, hdr(<name>), random[(<n>)], rdp-cookie[(<name>)])`;
  if (!args.every((w) => BALANCE_WORD.test(w))) return fail(reason);
  if (args.length === 0 && (BALANCE_PLAIN.has(algo) || algo === 'uri')) return ok(raw);
  if (args.length === 0 && /^(?:hdr\([A-Za-z0-9_-]+\)|random\(\d{1,3}\)|rdp-cookie\([A-Za-z0-9_-]+\))$/.test(algo)) return ok(raw);
  if (algo === 'uri' && args.length <= 4) return ok(raw);
  if (algo === 'url_param' && args.length >= 1 && args.length <= 3) return ok(raw);
  return fail(reason);
});

/** `*` or a literal IPv4/IPv6 address. */
export const parseBindAddr = guarded<string>((raw) =>
  raw === '*' || isIPv4(raw) || isIPv6(raw) ? ok(raw) : fail(`${JSON.stringify(raw)} is not '*' or an IP address`),
);

/** Free text appended to a `bind` line: no '#', braces, quotes or backslashes (all of which change how HAProxy reads the line). */
export const parseBindOptions = guarded<string>((raw) => {
  const bad = /[#{}"'\\]/.exec(raw);
  if (bad) return fail(`contains ${JSON.stringify(bad[0])}, which is not allowed in bind options`);
  const trimmed = raw.trim();
  return trimmed === '' ? fail('value is blank') : ok(trimmed);
});

/** One certificate path: marathon-lb appends it verbatim after `ssl crt `, so it is a single path, not a list. */
export const parseSslCert = guarded<string>((raw) => {
  if (!/^[A-Za-z0-9._/@+=:~-]+$/.test(raw) || raw.startsWith('-')) {
    return fail(`${JSON.stringify(raw)} is not a single certificate path (no spaces, commas, '#', braces or quotes)`);
  }
  return ok(raw);
});

/** `realm:user:passwordhash`, exactly three parts as marathon-lb splits it. */
export const parseAuth = guarded<AuthValue>((raw) => {
  const parts = raw.split(':');
  if (parts.length !== 3) return fail(`must be realm:user:passwordhash (3 parts separated by ':'), got ${parts.length} part(s)`);
  const [realm = '', user = '', passwordHash = ''] = parts;
  if (!TOKEN.test(realm)) return fail(`realm ${JSON.stringify(realm)} must be letters, digits, '.', '_', '-'`);
  if (!TOKEN.test(user)) return fail(`user ${JSON.stringify(user)} must be letters, digits, '.', '_', '-'`);
  if (!/^[A-Za-z0-9./$=+,-]+$/.test(passwordHash)) return fail('password hash must be a crypt(3) string (letters, digits, . / $ = + , -)');
  return ok({ realm, user, passwordHash });
});

function isCidrOrIp(s: string): boolean {
  const slash = s.indexOf('/');
  const addr = slash === -1 ? s : s.slice(0, slash);
  const prefix = slash === -1 ? null : s.slice(slash + 1);
  const max = isIPv4(addr) ? 32 : isIPv6(addr) ? 128 : -1;
  if (max < 0) return false;
  if (prefix === null) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= max;
}

/** Whitespace-separated IPs/CIDRs (spaces or tabs; line breaks are refused). */
export const parseCidrList = guarded<readonly string[]>((raw) => {
  const entries = raw.split(/[ \t]+/).filter((e) => e !== '');
  if (entries.length === 0) return fail('value is blank');
  for (const e of entries) if (!isCidrOrIp(e)) return fail(`${JSON.stringify(e)} is not an IP address or CIDR`);
  return ok(entries);
});

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?(Z|[+-]\d{2}:?\d{2})?$/;

/** An ISO-8601 timestamp (what zdd.py writes: `datetime.now().isoformat()`). */
export const parseTimestamp = guarded<TimestampValue>((raw) => {
  const m = ISO.exec(raw);
  if (!m) return fail(`${JSON.stringify(raw)} is not an ISO-8601 timestamp`);
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', zone] = m;
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12 || day < 1 || day > 31 || Number(h) > 23 || Number(mi) > 59 || Number(s) > 60) {
    return fail(`${JSON.stringify(raw)} is not a valid date/time`);
  }
  let ms = Date.UTC(Number(y), month - 1, day, Number(h), Number(mi), Number(s), Number((frac + '000').slice(0, 3)));
  if (zone !== undefined && zone !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    ms -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
  }
  return ok({ raw, epochMs: ms });
});

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

function isLabelName(s: string): s is LabelName {
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
const TEMPLATE_SET: ReadonlySet<string> = new Set(TEMPLATE_OVERRIDE_NAMES);

// ---------------------------------------------------------------------------------------------
// Reading an app's labels.

export type AppLabelValues = { -readonly [K in AppLabelName]?: LabelValue<K> };
export type PortLabelValues = { -readonly [K in PortLabelName]?: LabelValue<K> };

export interface PortLabels {
  readonly index: number;
  /** Per-port labels that are present and valid (absent labels are absent; see LABELS[name].default). */
  readonly values: PortLabelValues;
  /** Per-port template overrides `HAPROXY_{n}_<TEMPLATE>` as raw text (CRLF → LF); checked elsewhere. */
  readonly templates: Readonly<Record<string, string>>;
}

/** `invalid` rejects the app; `unknown` and `index-out-of-range` are warnings. */
export type LabelProblemKind = 'invalid' | 'unknown' | 'index-out-of-range';

export interface LabelProblem {
  /** The full label key, e.g. `HAPROXY_0_VHOST`. */
  readonly label: string;
  readonly kind: LabelProblemKind;
  readonly severity: 'reject' | 'warning';
  readonly reason: string;
}

export interface ReadLabelsResult {
  readonly app: AppLabelValues;
  /** One entry per service port index 0..portCount-1. */
  readonly ports: readonly PortLabels[];
  /** Sorted by label key. */
  readonly problems: readonly LabelProblem[];
  /** True when some problem has severity `reject`: the app must be left out of the config. */
  readonly rejected: boolean;
}

const PER_PORT_KEY = /^HAPROXY_(0|[1-9]\d{0,5})_(.+)$/;

/** Reads every `HAPROXY_*` label of one app; other labels are ignored. */
export function readLabels(labels: Readonly<Record<string, string>>, portCount: number): ReadLabelsResult {
  const app: Record<string, unknown> = {};
  const ports = Array.from({ length: Math.max(0, portCount) }, (_, index) => ({
    index,
    values: {} as Record<string, unknown>,
    templates: {} as Record<string, string>,
  }));
  const problems: LabelProblem[] = [];
  const warn = (label: string, kind: LabelProblemKind, reason: string): void => {
    problems.push({ label, kind, severity: 'warning', reason });
  };

  for (const key of Object.keys(labels).sort()) {
    if (!key.startsWith('HAPROXY_')) continue;
    const raw = labels[key] ?? '';
    const perPort = PER_PORT_KEY.exec(key);

    if (perPort) {
      const index = Number(perPort[1]);
      const name = perPort[2] ?? '';
      const isValueLabel = isLabelName(name) && LABELS[name].scope !== 'app';
      if (!isValueLabel && !TEMPLATE_SET.has(name)) {
        const hint = isLabelName(name) ? ` (${name} is an app-level label: use HAPROXY_${name})` : '';
        warn(key, 'unknown', `${key} is not a marathon-lb label${hint}; ignored`);
        continue;
      }
      const port = ports[index];
      if (port === undefined) {
        warn(key, 'index-out-of-range', `${key} names service port index ${index}, but the app has ${portCount} service port(s); ignored`);
        continue;
      }
      if (isValueLabel) {
        const parsed = LABELS[name].parse(raw);
        if (parsed.ok) port.values[name] = parsed.value;
        else problems.push({ label: key, kind: 'invalid', severity: 'reject', reason: `${key}: ${parsed.reason}` });
      } else {
        port.templates[name] = raw.replace(/\r\n/g, '\n');
      }
      continue;
    }

    const name = key.slice('HAPROXY_'.length);
    if (isLabelName(name) && LABELS[name].scope !== 'port') {
      const parsed = LABELS[name].parse(raw);
      if (parsed.ok) app[name] = parsed.value;
      else problems.push({ label: key, kind: 'invalid', severity: 'reject', reason: `${key}: ${parsed.reason}` });
      continue;
    }
    const hint = isLabelName(name)
      ? ` (${name} is a per-port label: use HAPROXY_{n}_${name})`
      : TEMPLATE_SET.has(name)
        ? ` (templates are overridden per port with HAPROXY_{n}_${name})`
        : '';
    warn(key, 'unknown', `${key} is not a marathon-lb label${hint}; ignored`);
  }

  problems.sort((a, b) => (a.label < b.label ? -1 : a.label > b.label ? 1 : 0));
  return {
    app: app as AppLabelValues,
    ports: ports.map((p) => ({ index: p.index, values: p.values as PortLabelValues, templates: p.templates })),
    problems,
    rejected: problems.some((p) => p.severity === 'reject'),
  };
}

/** The groups of one service port: `HAPROXY_{n}_GROUP` if set, else `HAPROXY_GROUP`, else none. */
export function portGroups(read: ReadLabelsResult, index: number): readonly string[] {
  return read.ports[index]?.values.GROUP ?? read.app.GROUP ?? [];
}

// ---------------------------------------------------------------------------------------------
// README reference.

function labelForms(s: LabelSpec<unknown>): string {
  const app = `\`HAPROXY_${s.name}\``;
  const port = `\`HAPROXY_{n}_${s.name}\``;
  return s.scope === 'app' ? app : s.scope === 'port' ? port : `${app}, ${port}`;
}

function formatDefault(v: unknown): string {
  if (v === null || v === undefined) return '–';
  return `\`${Array.isArray(v) ? v.join(',') : String(v)}\``;
}

/** A markdown table of every label, generated from LABELS, plus the template-override row. */
export function labelReferenceMarkdown(): string {
  const lines = ['| Label | Scope | Default | Description |', '|---|---|---|---|'];
  for (const s of LABEL_LIST) {
    const scope = s.scope === 'app' ? 'app' : s.scope === 'port' ? 'service port' : 'app or service port';
    const note = s.documented ? '' : ' (Undocumented in marathon-lb.)';
    lines.push(`| ${labelForms(s)} | ${scope} | ${formatDefault(s.default)} | ${s.description.replace(/\|/g, '\\|')}${note} |`);
  }
  lines.push(
    `| \`HAPROXY_{n}_<TEMPLATE>\` | service port | – | Replaces the named template for this port; \`<TEMPLATE>\` is one of ${TEMPLATE_OVERRIDE_NAMES.map((t) => `\`${t}\``).join(', ')}. |`,
  );
  return lines.join('\n') + '\n';
}
