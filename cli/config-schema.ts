// The switchyard configuration: every mesos-dns config.json key (reference/mesos-dns.md §1.9) plus switchyard's own.
// Pure, no I/O: the zod schema of every key, its default and normalisation. config-validate.ts applies it.
import { isIPv4, isIPv6 } from 'node:net';
import { z } from 'zod';
import {
  UINT32_MAX,
  MAX_TIMER_SECONDS,
  bool,
  integer,
  must,
  nonEmpty,
  port,
  seconds,
  str,
  uniqueItems,
  type DeepReadonly,
} from './config-fields.js';
import { lbHaproxyShape, lbSchema, lbShape, marathonCredentialsShape, marathonShape } from './config-schema-lb.js';
import type { IpSource } from '../state-poller/model.js';
import { splitHostPort as splitUpidHostPort } from '../state-poller/upid.js';

export { describeValue, type DeepReadonly } from './config-fields.js';
export type { LbConfig, LbFields, MarathonCredentials } from './config-schema-lb.js';

/** One thing wrong with (or worth warning about in) a configuration. `path` is e.g. `masters[1]`; '' is the whole document. */
export interface ConfigProblem {
  path: string;
  message: string;
}

export const IP_SOURCES = ['host', 'docker', 'mesos', 'netinfo'] as const satisfies readonly IpSource[];
// Compile-time check that IP_SOURCES lists every IpSource of the model.
const everyIpSourceListed: [Exclude<IpSource, (typeof IP_SOURCES)[number]>] extends [never] ? true : never = true;
void everyIpSourceListed;

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const MESOS_AUTHENTICATION_MODES = ['', 'basic', 'iam'] as const;

/** mesos-dns's domain validation (§1.9), also used for zoneResolvers zone names. */
export const DOMAIN_PATTERN = /^[a-zA-Z0-9-]+(\.[a-zA-Z0-9-]+)*$/;

/** Keys that mesos-dns's own sample and older versions carry and ignore: accepted with a warning. */
export const IGNORED_LEGACY_KEYS: readonly string[] = ['ns', 'email'];

// ---------------------------------------------------------------------------------------------------------------
// Address checks; the splitting itself is the poller's, so both read addresses the same way.

const HOSTNAME = /^(?=.{1,253}$)[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;

/** Splits `host:port` or `[ipv6]:port` with a port of 1..65535; undefined when the text is not of that form. */
function splitHostPort(text: string): { host: string; port: number; ipv6: boolean } | undefined {
  const hp = splitUpidHostPort(text);
  if (hp === null || hp.port < 1) return undefined;
  return { host: hp.host, port: hp.port, ipv6: isIPv6(hp.host) };
}

/** A Mesos master address: IPv4:port, [IPv6]:port or hostname:port. */
export function isMasterAddress(text: string): boolean {
  const hp = splitHostPort(text);
  if (hp === undefined) return false;
  if (hp.ipv6 || isIPv4(hp.host)) return true;
  // Dotted numbers that are not a valid IPv4 address (e.g. 999.1.1.1) are not hostnames either.
  return HOSTNAME.test(hp.host) && !/^[0-9.]+$/.test(hp.host);
}

/** A key under which two master addresses that name the same endpoint compare equal. */
function masterKey(text: string): string {
  const hp = splitHostPort(text);
  if (hp === undefined) return text;
  let host = hp.host.toLowerCase();
  if (hp.ipv6) {
    try {
      host = new URL(`http://[${hp.host}]/`).hostname;
    } catch {
      // keep the lower-cased text
    }
  }
  return `${host}:${hp.port}`;
}

/** A resolver address as mesos-dns accepts it: IP, or IP:port (IPv6 with port as `[::1]:53`). */
export function isResolverAddress(text: string): boolean {
  if (isIPv4(text) || isIPv6(text)) return true;
  const hp = splitHostPort(text);
  return hp !== undefined && (hp.ipv6 || isIPv4(hp.host));
}

/** Zone or domain name as compared: lower-cased, without one trailing dot. */
export function zoneKey(name: string): string {
  return (name.endsWith('.') ? name.slice(0, -1) : name).toLowerCase();
}

/** True when the two (normalised) names are equal or one is a parent of the other. */
export function zonesOverlap(a: string, b: string): boolean {
  return a === b || a.endsWith(`.${b}`) || b.endsWith(`.${a}`);
}

// ---------------------------------------------------------------------------------------------------------------
// The keys.

/** Keys of `mesosCredentials`, matched case-insensitively like the top level. */
export const mesosCredentialsShape = {
  principal: str().default(''),
  secret: str().default(''),
};

/**
 * Every configuration key with its schema and default. Property names are the mesos-dns spellings; incoming keys are
 * mapped to these case-insensitively. Defaults are mesos-dns's coded ones, except `resolvers` (see below).
 * To add a key: add it here (and, for a nested object whose keys should match case-insensitively, to NESTED_SHAPES),
 * then any cross-field rule to checkConfig (config-validate.ts; for `lb`, checkLbConfig in config-validate-lb.ts).
 */
export const configShape = {
  // Leader detection and the state fetch (§1.7).
  zk: str()
    .refine((v) => v === '' || v.startsWith('zk://'), { error: 'must start with zk:// (e.g. zk://10.0.0.1:2181/mesos)' })
    .default(''),
  zkDetectionTimeout: integer(0, MAX_TIMER_SECONDS, 'a whole number of seconds >= 0 (0 disables it)').default(30),
  masters: z
    .array(
      z.string(must('a "host:port" string')).refine(isMasterAddress, {
        error: 'must be host:port with an IPv4 address, [IPv6] address or hostname and a port from 1 to 65535',
      }),
      must('a list of "host:port" strings'),
    )
    .superRefine(uniqueItems(masterKey, 'master'))
    .default(() => []),
  refreshSeconds: seconds().default(60),
  stateTimeoutSeconds: seconds().default(300),

  // Records (§1.2, §1.5).
  ttl: integer(0, 2_147_483_647, 'an integer TTL >= 0').default(60),
  srvRecordDefaultWeight: integer(0, 65535).default(1),
  domain: z
    .string(must('a domain name'))
    .regex(DOMAIN_PATTERN, { error: 'must be a domain name of letters, digits and hyphens, e.g. "mesos"' })
    .default('mesos'),

  // Listeners.
  port: port().default(53),
  listener: nonEmpty().default('0.0.0.0'),
  HTTPListener: nonEmpty().default('0.0.0.0'),
  httpport: port().default(8123),
  dnson: bool().default(true),
  httpon: bool().default(true),

  // Forwarding (§1.6). An empty `resolvers` means the nameservers of /etc/resolv.conf, as an explicit [] does in
  // mesos-dns; unlike mesos-dns (["8.8.8.8"]) switchyard never bakes a public resolver into a default.
  externalon: bool().default(true),
  resolvers: z.array(z.string(must('an "ip" or "ip:port" string')), must('a list of "ip" or "ip:port" strings')).default(() => []),
  zoneResolvers: z
    .record(
      z.string(),
      z
        .array(z.string(must('an "ip" or "ip:port" string')), must('a list of "ip" or "ip:port" strings'))
        .min(1, { error: 'must list at least one resolver' }),
      must('an object mapping zone names to resolver lists'),
    )
    .default(() => ({})),
  timeout: seconds().default(5),
  recurseon: bool().default(true),

  // SOA (§1.5).
  SOAMname: nonEmpty().default('ns1.mesos'),
  SOARname: nonEmpty().default('root.ns1.mesos'),
  SOARefresh: integer(0, UINT32_MAX).default(60),
  SOARetry: integer(0, UINT32_MAX).default(600),
  SOAExpire: integer(0, UINT32_MAX).default(86400),
  SOAMinttl: integer(0, UINT32_MAX).default(60),

  // Naming and behaviour (§1.3, §1.4, §1.8).
  IPSources: z
    .array(z.enum(IP_SOURCES, must(`one of ${IP_SOURCES.join(', ')}`)), must('a list of IP sources'))
    .min(1, { error: `must list at least one of ${IP_SOURCES.join(', ')}` })
    .superRefine(uniqueItems((s: string) => s, 'IP source'))
    .default((): IpSource[] => ['netinfo', 'mesos', 'host']),
  EnforceRFC952: bool().default(false),
  SetTruncateBit: bool().default(true),
  EnumerationOn: bool().default(true),

  // TLS and authentication for the state fetch.
  MesosHTTPSOn: bool().default(false),
  CACertFile: str().default(''),
  CertFile: str().default(''),
  KeyFile: str().default(''),
  mesosAuthentication: z
    .enum(MESOS_AUTHENTICATION_MODES, must('one of "", "basic", "iam"'))
    .default(''),
  mesosCredentials: z
    .strictObject(mesosCredentialsShape, must('an object {"principal": …, "secret": …}'))
    .default(() => ({ principal: '', secret: '' })),
  IAMConfigFile: str().default(''),

  // switchyard's own keys.
  /** Read the /master/state JSON document from this file instead of polling masters. */
  stateFile: z
    .string(must('a non-empty file path or null'))
    .min(1, must('a non-empty file path or null'))
    .nullable()
    .default(null),
  /** Also serve mesos-dns's second, unsanitised DiscoveryInfo name pass (§1.11 item 6). */
  legacyDiscoveryNames: bool().default(true),
  logLevel: z.enum(LOG_LEVELS, must(`one of ${LOG_LEVELS.join(', ')}`)).default('info'),
  /** /readyz is ready while every source's last good state is younger than this many poll intervals. */
  readyMaxAgeMultiple: integer(1, 1000, 'an integer from 1 to 1000').default(3),

  // The load-balancer half (marathon-lb): the Marathon source and the `lb` section (config-schema-lb.ts).
  ...marathonShape,
  lb: lbSchema,
};

/**
 * Nested objects whose keys are matched case-insensitively too (Go decodes nested structs the same way), by their
 * dotted path; a parent comes before its children.
 */
export const NESTED_SHAPES: Readonly<Record<string, Readonly<Record<string, unknown>>>> = {
  mesosCredentials: mesosCredentialsShape,
  marathonCredentials: marathonCredentialsShape,
  lb: lbShape,
  'lb.haproxy': lbHaproxyShape,
};

/** The fields alone: types, ranges, per-field rules and defaults. */
export const configFieldsSchema = z.strictObject(configShape);
export type ConfigFields = z.output<typeof configFieldsSchema>;

// ---------------------------------------------------------------------------------------------------------------
// Normalisation and the complete schema.

function fqdn(name: string): string {
  return name.endsWith('.') ? name : `${name}.`;
}

/** mesos-dns's normalisation (§1.9): domain lower-cased, SOA names made absolute, `@` in SOARname becomes `.`. */
export function normaliseConfig(fields: ConfigFields): ConfigFields {
  return {
    ...fields,
    domain: fields.domain.toLowerCase(),
    SOAMname: fqdn(fields.SOAMname),
    SOARname: fqdn(fields.SOARname.replaceAll('@', '.')),
  };
}

/** Fields, then normalisation. Cross-field rules live in checkConfig (zod skips object refinements once a field fails). */
export const configSchema = configFieldsSchema.transform(normaliseConfig);

/** The validated, normalised, deeply read-only configuration. */
export type Config = DeepReadonly<z.output<typeof configSchema>>;
