// Cross-field rules of the load-balancer half of the configuration (the Marathon keys and the `lb` section).
// Pure, no I/O. Each rule runs only when the fields it reads are individually valid.
import type { ConfigProblem, LbFields } from './config-schema.js';

/** The Marathon keys as far as they parsed. */
export interface ParsedMarathon {
  readonly marathon?: readonly string[];
  readonly marathonFile?: string | null;
  readonly marathonCredentials?: { readonly principal: string; readonly secret: string };
}

/** True when a Marathon source is given, false when none is, undefined when that is not known (a field failed). */
export function hasMarathonSource(p: ParsedMarathon): boolean | undefined {
  if (p.marathon === undefined || p.marathonFile === undefined) return undefined;
  return p.marathon.length > 0 || p.marathonFile !== null;
}

/** Rules between the Marathon keys; `lbGiven` says whether the document set any `lb` key. */
export function checkMarathonConfig(
  p: ParsedMarathon,
  lbGiven: boolean,
  problems: ConfigProblem[],
  warnings: ConfigProblem[],
): void {
  if (p.marathon !== undefined && p.marathon.length > 0 && p.marathonFile !== undefined && p.marathonFile !== null) {
    problems.push({ path: 'marathonFile', message: 'give either marathon (URLs) or marathonFile, not both' });
  }
  if (lbGiven && hasMarathonSource(p) === false) {
    warnings.push({
      path: 'lb',
      message: 'set, but neither marathon nor marathonFile is given, so there is no load balancer and lb is not used',
    });
  }
  const credentials = p.marathonCredentials;
  if (credentials !== undefined) {
    if (credentials.secret !== '' && credentials.principal === '') {
      problems.push({ path: 'marathonCredentials.principal', message: 'must be non-empty when marathonCredentials.secret is set' });
    }
    if (credentials.principal.includes(':')) {
      // HTTP basic auth joins user and password with ':' (RFC 7617), so the user name cannot hold one.
      problems.push({ path: 'marathonCredentials.principal', message: 'must not contain ":" (HTTP basic auth cannot send it)' });
    }
  }
}

const PORT_KEYS = ['httpPort', 'httpsPort', 'statsPort', 'appIdPort'] as const;

/** Rules between `lb` keys; paths are `lb.<key>`. */
export function checkLbConfig(lb: Partial<LbFields>, problems: ConfigProblem[]): void {
  const { eventMinIntervalMs: minMs, eventMaxDelayMs: maxMs } = lb;
  if (minMs !== undefined && maxMs !== undefined && maxMs < minMs) {
    problems.push({ path: 'lb.eventMaxDelayMs', message: `must be >= lb.eventMinIntervalMs (${minMs})` });
  }

  const { minServPortIpPerTask: min, maxServPortIpPerTask: max } = lb;
  if (min !== undefined && max !== undefined) {
    if ((min === 0) !== (max === 0)) {
      problems.push({
        path: min === 0 ? 'lb.minServPortIpPerTask' : 'lb.maxServPortIpPerTask',
        message: 'must be 0 only when the other bound is 0 too (both 0 disables auto-assignment)',
      });
    } else if (min > max) {
      problems.push({ path: 'lb.maxServPortIpPerTask', message: `must be >= lb.minServPortIpPerTask (${min})` });
    }
  }

  // The shared frontends bind these ports on the same address, so the ones that are bound must differ.
  if (lb.bindHttpHttps !== undefined) {
    const bound = lb.bindHttpHttps ? PORT_KEYS : (['statsPort', 'appIdPort'] as const);
    const seen = new Map<number, string>();
    for (const key of bound) {
      const value = lb[key];
      if (value === undefined) continue;
      const earlier = seen.get(value);
      if (earlier === undefined) seen.set(value, key);
      else problems.push({ path: `lb.${key}`, message: `must differ from lb.${earlier} (both are ${value})` });
    }
  }

  // A managed HAProxy is reloaded by switchyard itself; a reload command as well would reload it twice.
  if (lb.haproxy?.manage === true && lb.reloadCommand !== undefined && lb.reloadCommand !== null) {
    problems.push({ path: 'lb.reloadCommand', message: 'must be null when lb.haproxy.manage is true (switchyard reloads the HAProxy it runs)' });
  }
}
