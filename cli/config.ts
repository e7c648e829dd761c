// Loads the switchyard configuration: validated once with every problem reported, normalised, then deep-frozen.
// parseConfig and redactConfig are pure; loadConfigFile reads the file (I/O).
import { readFile } from 'node:fs/promises';
import { SwitchyardError } from '../state-poller/errors.js';
import type { Config, ConfigProblem, DeepReadonly } from './config-schema.js';
import { validateConfig } from './config-validate.js';
import { applyOverrides, type Override } from './config-layers.js';

export type { Config, ConfigProblem, LbConfig, MarathonCredentials } from './config-schema.js';

/** `source: path: message`, or `source: message` for a problem with the whole document. */
export function formatProblem(source: string, problem: ConfigProblem): string {
  return problem.path === '' ? `${source}: ${problem.message}` : `${source}: ${problem.path}: ${problem.message}`;
}

/** SWY_CONFIG_INVALID with every problem found; the message lists them one per line as `source: path: message`. */
export class ConfigError extends SwitchyardError {
  readonly problems: ConfigProblem[];

  constructor(source: string, problems: ConfigProblem[], options?: { cause?: unknown }) {
    super('SWY_CONFIG_INVALID', problems.map((p) => formatProblem(source, p)).join('\n'), options);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

function deepFreeze<T>(value: T): DeepReadonly<T>;
function deepFreeze(value: unknown): unknown {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/**
 * Validates a decoded config.json document. `source` names it in messages (usually the file path).
 * Returns the deep-frozen configuration and warnings formatted like problems; throws ConfigError listing every problem.
 */
export function parseConfig(raw: unknown, source: string): { config: Config; warnings: string[] } {
  const { config, problems, warnings } = validateConfig(raw);
  if (config === undefined || problems.length > 0) {
    throw new ConfigError(source, problems.length > 0 ? problems : [{ path: '', message: 'invalid configuration' }]);
  }
  return { config: deepFreeze(config), warnings: warnings.map((w) => formatProblem(source, w)) };
}

/** Reads, decodes and validates a config.json. Unreadable → SWY_CONFIG_UNREADABLE; bad JSON or values → SWY_CONFIG_INVALID. */
export async function loadConfigFile(path: string, overrides: readonly Override[] = [], optional = false): Promise<{ config: Config; warnings: string[] }> {
  const raw = await readConfigDocument(path, optional);
  const applied = applyOverrides(raw, overrides, LIST_KEYS);
  if (applied.problems.length > 0) throw new ConfigError(path, applied.problems);
  return parseConfig(applied.doc, path);
}

/** Keys whose values are lists, so that an environment variable or flag may give them as a comma list. */
const LIST_KEYS: ReadonlySet<string> = new Set(['masters', 'resolvers', 'IPSources', 'marathon', 'lb.groups', 'lb.sslCerts', 'lb.globalDefaultOptions', 'lb.reloadCommand']);

/** The file's JSON document; {} for an optional file that does not exist (everything from env and flags). */
async function readConfigDocument(path: string, optional: boolean): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    if (optional && (cause as NodeJS.ErrnoException).code === 'ENOENT') return {};
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new SwitchyardError('SWY_CONFIG_UNREADABLE', `${path}: cannot read the configuration file: ${reason}`, { cause });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text.startsWith('\uFEFF') ? text.slice(1) : text);
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new ConfigError(path, [{ path: '', message: `invalid JSON: ${reason}` }], { cause });
  }
  return raw;
}

/**
 * A plain, mutable copy for display (HTTP /v1/config) with a non-empty `mesosCredentials.secret` and
 * `marathonCredentials.secret` hidden. Pure.
 */
export function redactConfig(config: Config): Record<string, unknown> {
  const copy = structuredClone(config);
  const hide = (secret: string): string => (secret === '' ? '' : '[redacted]');
  return {
    ...copy,
    mesosCredentials: { ...copy.mesosCredentials, secret: hide(copy.mesosCredentials.secret) },
    marathonCredentials: { ...copy.marathonCredentials, secret: hide(copy.marathonCredentials.secret) },
  };
}

/**
 * Which halves a valid config asks for: DNS (masters, stateFile; zk) and the load balancer (marathon, marathonFile).
 * At least one is true. Pure.
 */
export function configHalves(config: Config): { readonly dns: boolean; readonly lb: boolean } {
  return {
    dns: config.masters.length > 0 || config.stateFile !== null || config.zk !== '',
    lb: config.marathon.length > 0 || config.marathonFile !== null,
  };
}
