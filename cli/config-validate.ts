// Validating a raw configuration document: case-insensitive key matching, every field, then cross-field rules.
// Pure, no I/O. Every problem is collected with its path; nothing stops at the first.
import type { z } from 'zod';
import {
  DOMAIN_PATTERN,
  IGNORED_LEGACY_KEYS,
  NESTED_SHAPES,
  configSchema,
  configShape,
  describeValue,
  isResolverAddress,
  zoneKey,
  zonesOverlap,
  type ConfigFields,
  type ConfigProblem,
  type LbFields,
} from './config-schema.js';
import { lbShape } from './config-schema-lb.js';
import { checkLbConfig, checkMarathonConfig, hasMarathonSource } from './config-validate-lb.js';

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** `masters[1]`, `mesosCredentials.principal`, `zoneResolvers["example.com"][0]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else {
      const text = String(segment);
      out += IDENTIFIER.test(text) ? (out === '' ? text : `.${text}`) : `[${JSON.stringify(text)}]`;
    }
  }
  return out;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

function unknownKeyMessage(key: string, known: readonly string[]): string {
  const lower = key.toLowerCase();
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(key.length / 3)) + 1;
  for (const candidate of known) {
    const d = editDistance(lower, candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best === undefined ? 'unknown key' : `unknown key (did you mean "${best}"?)`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Maps each key of `raw` to its canonical spelling, case-insensitively; reports unknown and repeated keys. */
function canonicaliseObject(
  raw: Readonly<Record<string, unknown>>,
  known: readonly string[],
  prefix: readonly string[],
  ignored: readonly string[],
  problems: ConfigProblem[],
  warnings: ConfigProblem[],
): Record<string, unknown> {
  const byLowerCase = new Map(known.map((k) => [k.toLowerCase(), k] as const));
  const spellingUsed = new Map<string, string>();
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    const path = formatPath([...prefix, key]);
    const canonical = byLowerCase.get(key.toLowerCase());
    if (canonical === undefined) {
      if (ignored.includes(key.toLowerCase())) {
        warnings.push({ path, message: 'ignored (mesos-dns ignores this key too)' });
      } else {
        problems.push({ path, message: unknownKeyMessage(key, known) });
      }
      continue;
    }
    const earlier = spellingUsed.get(canonical);
    if (earlier !== undefined) {
      problems.push({
        path,
        message: `"${key}" and "${earlier}" are the same key "${canonical}" (keys are matched case-insensitively); give it once`,
      });
      continue;
    }
    spellingUsed.set(canonical, key);
    out[canonical] = value;
  }
  return out;
}

/** Maps every key (top level and nested objects) to its canonical spelling. Pure. */
export function canonicaliseKeys(
  raw: Readonly<Record<string, unknown>>,
  problems: ConfigProblem[],
  warnings: ConfigProblem[],
): Record<string, unknown> {
  const out = canonicaliseObject(raw, Object.keys(configShape), [], IGNORED_LEGACY_KEYS, problems, warnings);
  for (const [dotted, shape] of Object.entries(NESTED_SHAPES)) {
    const segments = dotted.split('.');
    let parent: Record<string, unknown> | undefined = out;
    for (const segment of segments.slice(0, -1)) {
      const next: unknown = parent[segment];
      parent = isPlainObject(next) ? next : undefined;
      if (parent === undefined) break;
    }
    const key = segments.at(-1) ?? dotted;
    const nested = parent?.[key];
    if (parent !== undefined && isPlainObject(nested)) {
      parent[key] = canonicaliseObject(nested, Object.keys(shape), segments, [], problems, warnings);
    }
  }
  return out;
}

type ParsedFields = Partial<ConfigFields>;

function issuesToProblems(issues: readonly z.core.$ZodIssue[], prefix: readonly PropertyKey[]): ConfigProblem[] {
  return issues.map((issue) => ({ path: formatPath([...prefix, ...issue.path]), message: issue.message }));
}

/** Parses each key of `shape` on its own, so that one bad field leaves the others parsed for the cross-field rules. */
function parseFields(
  shape: Readonly<Record<string, z.ZodType>>,
  input: Readonly<Record<string, unknown>>,
  prefix: readonly PropertyKey[],
  problems: ConfigProblem[],
): Record<string, unknown> {
  const parsed: Record<string, unknown> = {};
  for (const [key, schema] of Object.entries(shape)) {
    const result = schema.safeParse(input[key]);
    if (result.success) parsed[key] = result.data;
    else problems.push(...issuesToProblems(result.error.issues, [...prefix, key]));
  }
  return parsed;
}

/** Where the DNS half's state comes from: true/false, or undefined when a field it depends on failed. */
function hasDnsSource(p: ParsedFields): boolean | undefined {
  if (p.zk === undefined || p.masters === undefined || p.stateFile === undefined) return undefined;
  return p.zk !== '' || p.masters.length > 0 || p.stateFile !== null;
}

/**
 * Rules spanning several fields. Each runs only when the fields it reads are individually valid. `lbGiven` says
 * whether the document set any `lb` key (checked against the Marathon source).
 */
export function checkConfig(p: ParsedFields, problems: ConfigProblem[], warnings: ConfigProblem[], lbGiven = false): void {
  // A config serves DNS (masters, stateFile; zk), the load balancer (marathon, marathonFile), or both.
  const dns = hasDnsSource(p);
  const lb = hasMarathonSource(p);
  if (dns === false && lb === false) {
    problems.push({
      path: '',
      message:
        'nothing to serve: give masters or stateFile for DNS, marathon or marathonFile for the load balancer, or both',
    });
  }
  checkMarathonConfig(p, lbGiven, problems, warnings);

  // Where the state comes from (§1.7): zk is accepted but leader detection through ZooKeeper is not implemented.
  if (p.zk !== undefined && p.masters !== undefined && p.stateFile !== undefined) {
    const hasZk = p.zk !== '';
    const hasMasters = p.masters.length > 0;
    const hasStateFile = p.stateFile !== null;
    if (hasZk && !hasMasters && !hasStateFile) {
      problems.push({
        path: 'zk',
        message: 'ZooKeeper leader detection is not supported yet; list the Mesos masters in "masters" (host:port)',
      });
    } else if (hasZk) {
      warnings.push({
        path: 'zk',
        message: hasStateFile ? 'zk is not supported yet; reading stateFile' : 'zk is not supported yet; polling masters',
      });
    }
  }

  // Without a DNS source neither is served, so turning both off is fine then.
  if (dns !== false && p.dnson === false && p.httpon === false) {
    problems.push({ path: 'dnson', message: 'at least one of dnson and httpon must be true' });
  }

  // Resolvers are only used (so only checked) when forwarding is on, as in mesos-dns.
  if (p.externalon === true && p.resolvers !== undefined) {
    p.resolvers.forEach((resolver, index) => {
      if (!isResolverAddress(resolver)) {
        problems.push({
          path: formatPath(['resolvers', index]),
          message: 'must be an IP address or IP:port (IPv6 with a port as [::1]:53)',
        });
      }
    });
  }

  if (p.zoneResolvers !== undefined) {
    const domain = p.domain === undefined ? undefined : zoneKey(p.domain);
    const seen: { zone: string; name: string }[] = [];
    for (const [name, resolvers] of Object.entries(p.zoneResolvers)) {
      const path = ['zoneResolvers', name];
      const zone = zoneKey(name);
      if (!DOMAIN_PATTERN.test(zone)) {
        problems.push({ path: formatPath(path), message: 'the zone must be a domain name of letters, digits and hyphens' });
      } else {
        if (domain !== undefined && zonesOverlap(zone, domain)) {
          problems.push({ path: formatPath(path), message: `the zone must not equal or overlap the domain "${domain}"` });
        }
        const other = seen.find((s) => zonesOverlap(s.zone, zone));
        if (other !== undefined) {
          problems.push({ path: formatPath(path), message: `the zone overlaps zone "${other.name}"` });
        }
        seen.push({ zone, name });
      }
      resolvers.forEach((resolver, index) => {
        if (!isResolverAddress(resolver)) {
          problems.push({
            path: formatPath([...path, index]),
            message: 'must be an IP address or IP:port (IPv6 with a port as [::1]:53)',
          });
        }
      });
    }
  }

  if (p.mesosAuthentication === 'basic' && p.mesosCredentials !== undefined && p.mesosCredentials.principal === '') {
    problems.push({ path: 'mesosCredentials.principal', message: 'must be non-empty when mesosAuthentication is "basic"' });
  }
  if (p.mesosAuthentication === 'iam' && p.IAMConfigFile === '') {
    problems.push({ path: 'IAMConfigFile', message: 'must be set when mesosAuthentication is "iam"' });
  }

  if (p.CertFile !== undefined && p.KeyFile !== undefined && (p.CertFile === '') !== (p.KeyFile === '')) {
    problems.push(
      p.CertFile === ''
        ? { path: 'CertFile', message: 'must be set when KeyFile is (give both or neither)' }
        : { path: 'KeyFile', message: 'must be set when CertFile is (give both or neither)' },
    );
  }
}

export interface ConfigValidation {
  /** The normalised configuration (not yet frozen); undefined when there are problems. */
  readonly config: ConfigFields | undefined;
  readonly problems: ConfigProblem[];
  readonly warnings: ConfigProblem[];
}

/**
 * Validates a decoded JSON document completely: keys, then every field, then cross-field rules, collecting every
 * problem rather than stopping at the first. Pure.
 */
export function validateConfig(raw: unknown): ConfigValidation {
  const problems: ConfigProblem[] = [];
  const warnings: ConfigProblem[] = [];
  if (!isPlainObject(raw)) {
    problems.push({ path: '', message: `the configuration must be a JSON object, got ${describeValue(raw)}` });
    return { config: undefined, problems, warnings };
  }
  const input = canonicaliseKeys(raw, problems, warnings);
  const { lb: lbInput, ...rest } = input;
  const { lb: lbSchema, ...restShape } = configShape;
  const parsed = parseFields(restShape, rest, [], problems) as ParsedFields;
  // `lb` is parsed key by key too, so its cross-field rules see every key that is valid.
  let lb: Partial<LbFields> = {};
  if (isPlainObject(lbInput)) {
    const before = problems.length;
    lb = parseFields(lbShape, lbInput, ['lb'], problems) as Partial<LbFields>;
    if (problems.length === before) parsed.lb = lb as LbFields;
  } else {
    const result = lbSchema.safeParse(lbInput);
    if (result.success) parsed.lb = lb = result.data;
    else problems.push(...issuesToProblems(result.error.issues, ['lb']));
  }
  checkConfig(parsed, problems, warnings, isPlainObject(lbInput) && Object.keys(lbInput).length > 0);
  checkLbConfig(lb, problems);
  if (problems.length > 0) return { config: undefined, problems, warnings };

  const result = configSchema.safeParse(input);
  if (!result.success) {
    return { config: undefined, problems: issuesToProblems(result.error.issues, []), warnings };
  }
  return { config: result.data, problems, warnings };
}
