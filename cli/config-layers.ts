// Layered configuration: the config file, then environment variables (SWITCHYARD_<KEY>), then command-line flags
// (--<key>=<value>), merged into one document that the one schema validates. Pure: env and argv are passed in.
import { NESTED_SHAPES, configShape, type ConfigProblem } from './config-schema.js';

/** One value given outside the file, and where it came from (for messages). */
export interface Override {
  readonly path: readonly string[];
  readonly value: string;
  readonly from: string;
}

/** Every key the configuration has, as canonical paths (`["lb", "httpPort"]`), nested objects expanded. */
export function keyPaths(): string[][] {
  const out: string[][] = [];
  const walk = (shape: Readonly<Record<string, unknown>>, prefix: string[]): void => {
    for (const key of Object.keys(shape)) {
      const path = [...prefix, key];
      const nested = NESTED_SHAPES[path.join('.')];
      if (nested !== undefined) walk(nested, path);
      else out.push(path);
    }
  };
  walk(configShape, []);
  return out;
}

const PATHS = keyPaths();
const BY_ENV = new Map(PATHS.map((p) => [p.join('_').toLowerCase(), p] as const));
const BY_FLAG = new Map(PATHS.map((p) => [p.join('.').toLowerCase(), p] as const));

export const ENV_PREFIX = 'SWITCHYARD_';

/** `SWITCHYARD_LB_HTTPPORT=8080` → lb.httpPort; the key part is matched case-insensitively, like file keys. */
export function envOverrides(env: Readonly<Record<string, string | undefined>>): { overrides: Override[]; problems: ConfigProblem[] } {
  const overrides: Override[] = [];
  const problems: ConfigProblem[] = [];
  for (const name of Object.keys(env).sort()) {
    if (!name.toUpperCase().startsWith(ENV_PREFIX)) continue;
    const value = env[name];
    if (value === undefined) continue;
    const path = BY_ENV.get(name.slice(ENV_PREFIX.length).toLowerCase());
    if (path === undefined) problems.push({ path: name, message: `the environment variable names no configuration key (e.g. ${ENV_PREFIX}REFRESHSECONDS, ${ENV_PREFIX}LB_HTTPPORT)` });
    else overrides.push({ path, value, from: name });
  }
  return { overrides, problems };
}

/** The path a `--lb.httpPort`-style flag names, or undefined. */
export function flagPath(flag: string): readonly string[] | undefined {
  return BY_FLAG.get(flag.replace(/^--?/, '').toLowerCase());
}

/** Every flag spelling, for --help. */
export function flagNames(): string[] {
  return PATHS.map((p) => `--${p.join('.')}`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** JSON when it parses (numbers, booleans, lists, null, quoted strings), a comma list for list keys, else the text. */
function parseValue(text: string, isList: boolean): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return isList ? text.split(',').map((s) => s.trim()).filter((s) => s !== '') : text;
  }
}

/**
 * Applies the overrides, later ones winning, onto a copy of the file's document. A key the file spells differently
 * (`RefreshSeconds`) is replaced, not doubled, since keys match case-insensitively. `listKeys` are the dotted paths
 * whose values are lists, so that `SWITCHYARD_MASTERS=a:5050,b:5050` works without JSON quoting.
 */
export function applyOverrides(doc: unknown, overrides: readonly Override[], listKeys: ReadonlySet<string>): { doc: unknown; problems: ConfigProblem[] } {
  const problems: ConfigProblem[] = [];
  if (overrides.length === 0) return { doc, problems };
  if (!isRecord(doc)) return { doc, problems };
  const root: Record<string, unknown> = structuredClone(doc);
  for (const o of overrides) {
    let target = root;
    const where = o.path.join('.');
    for (const [i, segment] of o.path.entries()) {
      const existing = Object.keys(target).find((k) => k.toLowerCase() === segment.toLowerCase());
      if (i === o.path.length - 1) {
        if (existing !== undefined) delete target[existing];
        target[segment] = parseValue(o.value, listKeys.has(where));
        break;
      }
      const child = existing === undefined ? undefined : target[existing];
      if (child !== undefined && !isRecord(child)) {
        problems.push({ path: o.path.slice(0, i + 1).join('.'), message: `is not an object in the file, so ${o.from} cannot set ${where}` });
        break;
      }
      const next: Record<string, unknown> = child ?? {};
      if (existing !== undefined && existing !== segment) delete target[existing];
      target[segment] = next;
      target = next;
    }
  }
  return { doc: root, problems };
}
