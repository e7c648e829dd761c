// The marathon-lb half of the configuration: the Marathon source keys and the `lb` section (reference/marathon-lb.md §2.3).
// Pure, no I/O: zod schemas with their defaults. config-schema.ts adds them to the top level.
import { isIPv4, isIPv6 } from 'node:net';
import { z } from 'zod';
import {
  MAX_TIMER_MS,
  ONE_WORD,
  bool,
  integer,
  must,
  nonEmpty,
  seconds,
  str,
  uniqueItems,
  word,
  type DeepReadonly,
} from './config-fields.js';

// ---------------------------------------------------------------------------------------------------------------
// Marathon URLs.

const URL_HINT = 'e.g. "http://marathon.mesos:8080"';

/** Why `text` is not a Marathon base URL (http(s)://host[:port], optional trailing slash), or undefined when it is one. */
export function marathonUrlProblem(text: string): string | undefined {
  if (!/^https?:\/\/[^/]/i.test(text)) return `must be an http:// or https:// URL with a host, ${URL_HINT}`;
  if (!ONE_WORD.test(text)) return 'must not contain spaces or control characters';
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `must be a valid URL, ${URL_HINT}`;
  }
  if (url.hostname === '') return `must name a host, ${URL_HINT}`;
  if (url.username !== '' || url.password !== '') return 'must not carry credentials; use marathonCredentials';
  if (url.port === '0') return 'must not use port 0';
  if (text.includes('?') || text.includes('#')) return 'must not have a query or fragment';
  if (url.pathname !== '/') return `must be a base URL without a path (a trailing slash is fine), ${URL_HINT}`;
  return undefined;
}

/** Two URLs naming the same Marathon compare equal: scheme and host lower-cased, default port dropped. */
function marathonUrlKey(text: string): string {
  // An invalid URL already has its own problem; only identical texts count as duplicates of it.
  return marathonUrlProblem(text) === undefined ? new URL(text).origin : `invalid\0${text}`;
}

const marathonUrl = () =>
  z.string(must(`a URL string, ${URL_HINT}`)).superRefine((text, ctx) => {
    const message = marathonUrlProblem(text);
    if (message !== undefined) ctx.addIssue({ code: 'custom', message });
  });

/** Keys of `marathonCredentials`, matched case-insensitively like the top level. */
export const marathonCredentialsShape = {
  principal: str().default(''),
  secret: str().default(''),
};

/** switchyard's top-level keys for the Marathon source; marathon-lb's --marathon and --auth-credentials. */
export const marathonShape = {
  marathon: z
    .array(marathonUrl(), must(`a list of Marathon URLs, ${URL_HINT}`))
    .superRefine(uniqueItems(marathonUrlKey, 'Marathon URL'))
    .default(() => []),
  /** Read the /v2/apps?embed=apps.tasks document from this file (relative to the config file) and watch it. */
  marathonFile: z
    .string(must('a non-empty file path or null'))
    .min(1, must('a non-empty file path or null'))
    .nullable()
    .default(null),
  marathonCredentials: z
    .strictObject(marathonCredentialsShape, must('an object {"principal": …, "secret": …}'))
    .default(() => ({ principal: '', secret: '' })),
  /** marathon-lb's read timeout for /v2/apps. */
  marathonTimeoutSeconds: seconds().default(46),
};

// ---------------------------------------------------------------------------------------------------------------
// The `lb` section.

const lbPort = () => integer(1, 65535, 'an integer port from 1 to 65535');
const servicePortBound = () => integer(0, 65535, 'an integer port from 0 to 65535 (0 with the other bound 0 disables it)');
const ms = (description: string) => integer(0, MAX_TIMER_MS, description);
const path = () => nonEmpty();
const nullablePath = () => z.string(must('a non-empty path or null')).min(1, must('a non-empty path or null')).nullable();

/** An LB group name as --group takes it: no commas or whitespace; "*" means every group. */
const GROUP = /^[^\s,\p{Cc}]+$/u;
/** An HAProxy `option` name as in HAPROXY_GLOBAL_DEFAULT_OPTIONS. */
const OPTION = /^[a-z0-9-]+$/;

/** Keys of `lb.haproxy`, matched case-insensitively. */
export const lbHaproxyShape = {
  /** The HAProxy executable, used for `haproxy -c` (and run by switchyard when `manage` is true). */
  binary: nonEmpty().default('haproxy'),
  /** Run HAProxy as a child in master-worker mode, reload it hitlessly and restart it if it dies. */
  manage: bool().default(false),
  /** `hard-stop-after` in the global section: old workers still draining connections are stopped after this long. */
  hardStopAfterSeconds: seconds().default(60),
  /** The master CLI socket of a managed HAProxy (`-S`); null: `haproxy-master.sock` beside lb.configFile. */
  masterSocket: z.string(must('a socket path or null')).regex(ONE_WORD, must('a socket path without spaces, or null')).nullable().default(null),
};

/** Keys of `lb`, matched case-insensitively like the top level. Cross-field rules are in config-validate-lb.ts. */
export const lbShape = {
  // Which apps and tasks (--group, --health-check, --strict-mode, $FRAMEWORK_NAME).
  groups: z
    .array(
      z.string(must('a group name')).regex(GROUP, { error: 'must be a non-empty group name without commas or whitespace' }),
      must('a list of group names ("*" for all)'),
    )
    .min(1, { error: 'must list at least one group ("*" for all)' })
    .superRefine(uniqueItems((g: string) => g, 'group'))
    .default(() => ['external']),
  healthCheck: bool().default(false),
  strictMode: bool().default(false),
  frameworkName: z
    .string(must('a non-empty name or null'))
    .regex(ONE_WORD, must('a non-empty name without spaces, or null'))
    .nullable()
    .default(null),

  // When to regenerate (--sse, --max-backoff).
  sse: bool().default(true),
  resyncSeconds: seconds().default(300),
  eventMinIntervalMs: ms('a whole number of milliseconds >= 0').default(200),
  eventMaxDelayMs: ms('a whole number of milliseconds >= 0').default(1000),
  maxBackoffSeconds: seconds().default(300),

  // What is written (--haproxy-config, --haproxy-map, templates).
  templatesDir: nullablePath().default(null),
  configFile: path().default('/etc/haproxy/haproxy.cfg'),
  haproxyMap: bool().default(false),

  // The shared frontends (--dont-bind-http-https, --group-https-by-vhost, --ssl-certs).
  bindAddress: z
    .string(must('"*", an IPv4 address or an IPv6 address'))
    .refine((v) => v === '*' || isIPv4(v) || isIPv6(v), { error: 'must be "*", an IPv4 address or an IPv6 address' })
    .default('*'),
  httpPort: lbPort().default(80),
  httpsPort: lbPort().default(443),
  statsPort: lbPort().default(9090),
  appIdPort: lbPort().default(9091),
  bindHttpHttps: bool().default(true),
  groupHttpsByVhost: bool().default(false),
  sslCerts: z
    .array(word('a certificate path'), must('a list of certificate paths'))
    .min(1, { error: 'must list at least one certificate' })
    .default(() => ['/etc/ssl/cert.pem']),

  // IP-per-task service port auto-assignment (--min/max-serv-port-ip-per-task).
  minServPortIpPerTask: servicePortBound().default(10050),
  maxServPortIpPerTask: servicePortBound().default(10100),

  // The global section (HAPROXY_GLOBAL_DEFAULT_OPTIONS) and the admin socket.
  globalDefaultOptions: z
    .array(
      z.string(must('an option name')).regex(OPTION, { error: 'must be an option name of a-z, 0-9 and "-"' }),
      must('a list of option names'),
    )
    .superRefine(uniqueItems((o: string) => o, 'option'))
    .default(() => ['redispatch', 'http-server-close', 'dontlognull', 'idle-close-on-response']),
  statsSocket: word('a socket path').default('/var/run/haproxy/socket'),
  /** Where HAProxy sends its logs (marathon-lb's --syslog-socket); null: no `log` lines (HAProxy logs nothing). */
  syslogSocket: z.string(must('a socket path or null')).regex(ONE_WORD, must('a socket path without spaces, or null')).nullable().default('/dev/log'),
  /** `maxconn` of the global section (marathon-lb's 50000 needs a file-descriptor limit of about 100k). */
  maxconn: integer(1, 10_000_000, 'an integer from 1 to 10000000').default(50000),

  // Validation and reload (--skip-validation, --command).
  skipValidation: bool().default(false),
  reloadCommand: z
    .array(nonEmpty(), must('a command as a list of strings, e.g. ["systemctl", "reload", "haproxy"], or null'))
    .min(1, { error: 'must be a non-empty list of strings, or null' })
    .nullable()
    .default(null),
  reloadTimeoutSeconds: seconds().default(30),
  /** Apply changes of servers only (tasks started, stopped, healthy or not) through HAProxy's runtime API, without a reload. */
  runtimeApi: bool().default(true),
  /** Reloads start no sooner than this after the previous one; changes meanwhile wait and are coalesced. */
  minReloadIntervalMs: ms('a whole number of milliseconds >= 0').default(1000),
  haproxy: z
    .strictObject(lbHaproxyShape, must('an object {"binary": …, "manage": …}'))
    .prefault(() => ({})),
};

/** The `lb` section: every key with its default; an absent `lb` is all defaults. */
export const lbSchema = z.strictObject(lbShape, must('an object of load-balancer keys')).prefault(() => ({}));

/** The validated `lb` section, as parsed (mutable). */
export type LbFields = z.output<typeof lbSchema>;
/** The validated `lb` section as it appears in the frozen Config (`config.lb`). */
export type LbConfig = DeepReadonly<LbFields>;
/** The validated `marathonCredentials` (`config.marathonCredentials`). */
export type MarathonCredentials = DeepReadonly<z.output<(typeof marathonShape)['marathonCredentials']>>;
