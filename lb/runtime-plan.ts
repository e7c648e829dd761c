// Whether a new view differs from the one HAProxy runs only in servers, and if so the runtime-API commands that
// turn one into the other (add server / del server / set server state), so task churn needs no reload. Pure.
import { serverLinesKey, settingsKey, sharedKey } from './change-summary.js';
import type { HaproxyView, ServiceView } from './view-types.js';

export type RuntimePlan =
  | { readonly kind: 'none' }
  | { readonly kind: 'servers'; readonly backends: readonly string[]; readonly steps: readonly RuntimeStep[] }
  | { readonly kind: 'structural'; readonly why: string };

/** One server's change; `commands` go over the admin socket in order. */
export interface RuntimeStep {
  readonly backend: string;
  readonly server: string;
  readonly action: 'add' | 'remove' | 'state';
  readonly commands: readonly string[];
}

/** Rendered server lines of a service, e.g. `  server 10_0_0_1_31000 10.0.0.1:31000 id 9975 check inter 3s fall 4`. */
export type ServerLines = (service: ServiceView) => readonly string[];

/** Balance algorithms that HAProxy 2.6 can add servers to at run time (others need `hash-type consistent`). */
const DYNAMIC_BALANCE = /^(roundrobin|leastconn|first|random(\(\d+\))?)$/;

interface ParsedServer {
  readonly name: string;
  /** Everything after the name: address, id and options, as `add server` takes them. */
  readonly rest: string;
  /** `rest` without `disabled`: equal for two lines that differ only in the server's state. */
  readonly bare: string;
  readonly disabled: boolean;
  readonly check: boolean;
}

function parseServerLine(line: string): ParsedServer | null {
  const m = /^\s*server\s+(\S+)\s+(\S.*?)\s*$/.exec(line);
  if (m === null || m[1] === undefined || m[2] === undefined) return null;
  const words = m[2].split(/\s+/);
  return { name: m[1], rest: m[2], bare: m[2].replace(/\s+disabled\b/, ''), disabled: words.includes('disabled'), check: words.includes('check') };
}

// The running view's lines are the previous plan's new ones (renderServerLines keeps them): parsed once.
const parsedLines = new WeakMap<readonly string[], Map<string, ParsedServer> | null>();

function serversOf(service: ServiceView, lines: ServerLines): Map<string, ParsedServer> | null {
  const text = lines(service);
  if (parsedLines.has(text)) return parsedLines.get(text) ?? null;
  let out: Map<string, ParsedServer> | null = new Map<string, ParsedServer>();
  for (const line of text) {
    const parsed = parseServerLine(line);
    if (parsed === null || out.has(parsed.name)) {
      out = null;
      break;
    }
    out.set(parsed.name, parsed);
  }
  parsedLines.set(text, out);
  return out;
}

/**
 * Compares the running view with the next one. Anything but a change of servers in backends that HAProxy can change
 * at run time is structural: it needs a validated config and a reload.
 */
export function planRuntime(running: HaproxyView, next: HaproxyView, lines: ServerLines): RuntimePlan {
  if (sharedKey(running) !== sharedKey(next)) return { kind: 'structural', why: 'the shared frontends or maps changed' };
  const before = new Map(running.services.map((s) => [s.backend, s]));
  if (before.size !== next.services.length || next.services.some((s) => !before.has(s.backend))) {
    return { kind: 'structural', why: 'backends were added or removed' };
  }
  const steps: RuntimeStep[] = [];
  const backends: string[] = [];
  for (const now of next.services) {
    const was = before.get(now.backend);
    if (was === undefined) return { kind: 'structural', why: `backend ${now.backend} is new` };
    // The same view object (lb/view-cache.ts keeps unchanged services' views): nothing of it can differ.
    if (was === now) continue;
    if (settingsKey(was) !== settingsKey(now)) return { kind: 'structural', why: `the settings of ${now.backend} changed` };
    // Most backends are untouched by a given change: comparing their data is enough, no line needs rendering.
    if (serverLinesKey(was) === serverLinesKey(now)) continue;
    const old = serversOf(was, lines);
    const cur = serversOf(now, lines);
    if (old === null || cur === null) return { kind: 'structural', why: `the server lines of ${now.backend} cannot be read` };
    const changed = [...old.keys()].some((n) => old.get(n)?.rest !== cur.get(n)?.rest) || [...cur.keys()].some((n) => !old.has(n));
    if (!changed) continue;
    const balance = now.service.labels.BALANCE ?? 'roundrobin';
    if (!DYNAMIC_BALANCE.test(balance)) return { kind: 'structural', why: `${now.backend} uses balance ${balance}, which cannot take servers at run time` };
    // HAProxy 2.6 refuses `cookie` on servers added at run time, so sticky backends are reloaded.
    if (now.service.labels.STICKY === true) return { kind: 'structural', why: `${now.backend} is sticky; HAProxy cannot add cookie servers at run time` };
    backends.push(now.backend);
    const b = now.backend;
    for (const [name, server] of old) {
      const next2 = cur.get(name);
      if (next2 !== undefined && next2.rest === server.rest) continue;
      const onlyState = next2 !== undefined && next2.bare === server.bare;
      if (next2 !== undefined && onlyState) {
        steps.push({ backend: b, server: name, action: 'state', commands: [`set server ${b}/${name} state ${next2.disabled ? 'maint' : 'ready'}`] });
        continue;
      }
      steps.push({ backend: b, server: name, action: 'remove', commands: [`set server ${b}/${name} state maint`, `del server ${b}/${name}`] });
    }
    for (const [name, server] of cur) {
      const prev = old.get(name);
      if (prev !== undefined && prev.bare === server.bare) continue;
      const commands = [`add server ${b}/${name} ${server.rest}`];
      if (server.check) commands.push(`enable health ${b}/${name}`);
      commands.push(`set server ${b}/${name} state ${server.disabled ? 'maint' : 'ready'}`);
      steps.push({ backend: b, server: name, action: 'add', commands });
    }
  }
  // Removals first: a task that moved keeps its name only if its address is the same, so the two never clash.
  const ordered = [...steps.filter((s) => s.action === 'remove'), ...steps.filter((s) => s.action !== 'remove')];
  return ordered.length === 0 ? { kind: 'none' } : { kind: 'servers', backends, steps: ordered };
}
