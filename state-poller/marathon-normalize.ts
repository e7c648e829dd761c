// Marathon /v2/apps?embed=apps.tasks JSON → the MarathonState of the Snapshot.
// Pure and deterministic: apps sorted by id; a malformed app or task is skipped with a diagnostic, the rest kept.
// Given a memo (one per poller), an app whose JSON is the same as in the previous document comes back as the same
// (immutable) object, so that consumers can skip unchanged apps by identity (lb/view-cache.ts) and its schema check
// is not repeated.
import { isIP } from 'node:net';
import { Interner, SharedLists } from './intern.js';
import type { Diagnostic, MarathonApp, MarathonPortMapping, MarathonState, MarathonTask } from './model.js';
import { describeIssues } from './mesos-types.js';
import { marathonAppSchema, marathonAppsSchema, marathonTaskSchema, type MarathonAppDoc } from './marathon-types.js';
import { runToEnd } from './slices.js';
import { marathonTaskFields, type MarathonTaskFields } from './marathon-fast.js';
import { textKey, type ItemHook } from './json-slices.js';

export type NormalizedMarathon =
  | { readonly ok: true; readonly state: MarathonState; readonly diagnostics: readonly Diagnostic[] }
  | { readonly ok: false; readonly message: string };

function mappings(list: readonly { servicePort?: number | null; containerPort?: number | null }[] | null | undefined): MarathonPortMapping[] {
  return (list ?? []).map((m) => ({ servicePort: m.servicePort ?? null, containerPort: m.containerPort ?? null }));
}

function appOf(doc: MarathonAppDoc, tasks: MarathonTask[]): MarathonApp {
  return {
    id: doc.id,
    instances: doc.instances,
    labels: doc.labels ?? {},
    portDefinitions: doc.portDefinitions === null || doc.portDefinitions === undefined ? null : doc.portDefinitions.flatMap((p) => (p.port === null || p.port === undefined ? [] : [p.port])),
    ports: (doc.ports ?? []).slice(),
    dockerNetwork: doc.container?.docker?.network ?? null,
    dockerPortMappings: mappings(doc.container?.docker?.portMappings),
    containerPortMappings: mappings(doc.container?.portMappings),
    networkModes: (doc.networks ?? []).map((n) => n.mode ?? 'container'),
    ipAddressPorts: doc.ipAddress === null || doc.ipAddress === undefined ? null : (doc.ipAddress.discovery?.ports ?? []).map((p) => p.number),
    healthChecks: (doc.healthChecks ?? []).map((h) => ({
      protocol: h.protocol,
      port: h.port ?? null,
      portIndex: h.portIndex ?? null,
      path: h.path ?? null,
      intervalSeconds: h.intervalSeconds,
      timeoutSeconds: h.timeoutSeconds,
      gracePeriodSeconds: h.gracePeriodSeconds,
      maxConsecutiveFailures: h.maxConsecutiveFailures,
    })),
    tasks,
    lastScalingAt: doc.versionInfo?.lastScalingAt ?? null,
  };
}

/** An app as normalized from one JSON text, with the diagnostics of its tasks. */
interface Reusable {
  readonly app: MarathonApp;
  readonly diagnostics: readonly Diagnostic[];
}

/**
 * The apps of the previous document normalized with it, by the SHA-1 of their JSON text (see normalizeMarathonSteps).
 * A cache, not state: the output is the same with or without it, only object identity and time differ. Each call
 * replaces its content, so it holds one document's apps at most. Keyed by digest, not by the text itself: the texts
 * were 27 MB at 10k apps, kept for as long as the state was served.
 */
export class MarathonAppMemo {
  previous = new Map<string, Reusable>();
}

/** Apps between the points where normalizeMarathonSteps lets its caller do other work. */
const APPS_PER_STEP = 64;

export function normalizeMarathon(raw: unknown, memo: MarathonAppMemo | null = null): NormalizedMarathon {
  return runToEnd(normalizeMarathonSteps(raw, memo));
}

/** Up to this many health results, a task's list is one of the shared ones below. */
const SHARED_ALIVE_MAX = 3;
/**
 * Every list of up to SHARED_ALIVE_MAX results, frozen, at (1 << length) - 1 + the results as bits: nearly every
 * task has one of them ([true] for a healthy app), and 100k copies of [true] were 5.6 MB at 100k tasks.
 */
const SHARED_ALIVE: (readonly boolean[])[] = [];
for (let length = 0; length <= SHARED_ALIVE_MAX; length++) {
  for (let bits = 0; bits < 1 << length; bits++) SHARED_ALIVE.push(Object.freeze(Array.from({ length }, (_, k) => ((bits >> k) & 1) === 1)));
}

const isAlive = (result: { readonly alive?: boolean | null | undefined }): boolean => result.alive === true;

/** Whether each health check result says alive, in order; a shared list when it is short. */
export function aliveList(results: readonly { readonly alive?: boolean | null | undefined }[]): readonly boolean[] {
  if (results.length > SHARED_ALIVE_MAX) return results.map(isAlive);
  let bits = 0;
  for (let k = 0; k < results.length; k++) if (isAlive(results[k] ?? {})) bits |= 1 << k;
  return SHARED_ALIVE[(1 << results.length) - 1 + bits] ?? results.map(isAlive);
}

/** A raw app, normalized; or, not ok, why it is left out (`id` when the app has one to name it by). */
type AppOutcome = { readonly ok: true; readonly normalized: Reusable } | { readonly ok: false; readonly id: string | null; readonly message: string };

/**
 * An app as prepared while the document is parsed (prepareMarathonApps): its memo key and what it normalized to. A
 * class, so that a raw JSON object can never pass for one.
 */
export class PreparedApp {
  constructor(
    readonly key: string | null,
    readonly outcome: AppOutcome,
  ) {}
}

/**
 * Normalizes the apps of one document one at a time, sharing task hosts, states and port lists among them. An app
 * whose key (the SHA-1 of its text) is the previous document's (`memo`) or an earlier app's of this one comes back as
 * the same object.
 */
class AppPreparer {
  private readonly strings = new Interner();
  private readonly portLists = new SharedLists<number>();
  /** This document's apps so far, by key. */
  private readonly byKey = new Map<string, Reusable>();

  constructor(private readonly memo: MarathonAppMemo | null) {}

  /**
   * The memo key of an app: the SHA-1 of `text`, the bytes the parser read it from, else of its text made again (an
   * app not prepared as it was parsed); null without a memo, or for an app that is not an object or array.
   */
  keyOf(rawApp: unknown, text: Uint8Array | null): string | null {
    if (this.memo === null || typeof rawApp !== 'object' || rawApp === null) return null;
    return textKey(text ?? JSON.stringify(rawApp));
  }

  prepare(rawApp: unknown, key: string | null): PreparedApp {
    // What the memo buys is identity: an unchanged app keeps its object, so the load balancer skips it. The key is
    // the SHA-1 (28 characters of base64) of the app's text as the parser found it (about 3 µs an app), else of
    // the app serialized again: about 30 µs at 10k apps, nearly what checking it again costs (35 µs). Either way
    // the same text gives the same key; an app whose text changed is normalized again.
    const known = key === null ? undefined : (this.byKey.get(key) ?? this.memo?.previous.get(key));
    if (known !== undefined) return new PreparedApp(key, { ok: true, normalized: known });
    const parsed = marathonAppSchema.safeParse(rawApp);
    if (!parsed.success) {
      const id = typeof rawApp === 'object' && rawApp !== null && 'id' in rawApp ? String((rawApp as { id: unknown }).id) : null;
      return new PreparedApp(key, { ok: false, id, message: describeIssues(parsed.error) });
    }
    const normalized = this.normalize(parsed.data);
    if (key !== null) this.byKey.set(key, normalized);
    return new PreparedApp(key, { ok: true, normalized });
  }

  private normalize(doc: MarathonAppDoc): Reusable {
    const tasks: MarathonTask[] = [];
    const diagnostics: Diagnostic[] = [];
    (doc.tasks ?? []).forEach((rawTask, taskIndex) => {
      // The hand-written check first: zod only for what it does not accept, to say what is wrong.
      let task: MarathonTaskFields | null = marathonTaskFields(rawTask);
      if (task === null) {
        const checked = marathonTaskSchema.safeParse(rawTask);
        if (!checked.success) {
          diagnostics.push({ code: 'SWY_UPSTREAM_INVALID_TASK', source: 'marathon', subject: `${doc.id}/tasks[${taskIndex}]`, message: describeIssues(checked.error) });
          return;
        }
        task = checked.data;
      }
      // The lists are copied to their size: zod and flatMap build them by push, which reserves room for 17 values,
      // and they are kept for as long as the state is served (100k tasks).
      tasks.push({
        id: task.id,
        host: this.strings.of(task.host),
        state: task.state === null || task.state === undefined ? null : this.strings.of(task.state),
        // One list for each distinct list in a state: host port numbers repeat across tasks.
        ports: this.portLists.of(task.ports ?? []),
        ipAddresses: (task.ipAddresses ?? []).flatMap((a) => (a.ipAddress ? [a.ipAddress] : [])).slice(),
        healthAlive: task.healthCheckResults === null || task.healthCheckResults === undefined ? null : aliveList(task.healthCheckResults),
      });
    });
    tasks.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return { app: appOf(doc, tasks), diagnostics };
  }
}

/**
 * An ItemHook for parsing Marathon's apps (see json-slices.ts): each app of the (large) `apps` list of the document
 * `bytes` is normalized as soon as it is parsed, keyed by its text for `memo`, so that the raw apps (about 50 MB of
 * parsed JSON at 10k apps and 100k tasks) are never all kept at once.
 */
export function prepareMarathonApps(bytes: Uint8Array, memo: MarathonAppMemo | null): ItemHook {
  const preparer = new AppPreparer(memo);
  return (path, item, start, end) => (path === 'apps' ? preparer.prepare(item, preparer.keyOf(item, bytes.subarray(start, end))) : item);
}

/**
 * normalizeMarathon as steps: the generator pauses every APPS_PER_STEP apps, so the poller can run it in slices
 * (slices.ts) and the DNS server keeps answering while 10k apps are normalized. Apps prepared while the document was
 * parsed (prepareMarathonApps, with the same memo) are taken as they are; the rest are normalized here.
 */
export function* normalizeMarathonSteps(raw: unknown, memo: MarathonAppMemo | null = null): Generator<void, NormalizedMarathon> {
  const top = marathonAppsSchema.safeParse(raw);
  if (!top.success) return { ok: false, message: describeIssues(top.error) };
  const diagnostics: Diagnostic[] = [];
  const diagnose = (code: string, subject: string, message: string): void => {
    diagnostics.push({ code, source: 'marathon', subject, message });
  };
  const apps: MarathonApp[] = [];
  const seen = new Set<string>();
  const reusable = new Map<string, Reusable>();
  const preparer = new AppPreparer(memo);
  for (const [index, rawApp] of top.data.apps.entries()) {
    if (index % APPS_PER_STEP === APPS_PER_STEP - 1) yield;
    const { key, outcome } = rawApp instanceof PreparedApp ? rawApp : preparer.prepare(rawApp, preparer.keyOf(rawApp, null));
    if (!outcome.ok) {
      diagnose('SWY_UPSTREAM_INVALID_APP', outcome.id ?? `apps[${index}]`, outcome.message);
      continue;
    }
    const { app } = outcome.normalized;
    if (seen.has(app.id)) {
      diagnose('SWY_UPSTREAM_INVALID_APP', app.id, 'the app id appears twice; the first is kept');
      continue;
    }
    seen.add(app.id);
    diagnostics.push(...outcome.normalized.diagnostics);
    apps.push(app);
    if (key !== null) reusable.set(key, outcome.normalized);
  }
  if (memo !== null) memo.previous = reusable;
  apps.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  // Host names are resolved by the poller (I/O); the pure result says only that none are known yet.
  return { ok: true, state: { apps, hosts: hostTable([]) }, diagnostics };
}

/** The distinct task hosts that need a name lookup (not empty, not an IP literal), sorted. */
export function marathonHostnames(state: MarathonState): string[] {
  const names = new Set<string>();
  for (const app of state.apps) for (const task of app.tasks) if (task.host !== '' && isIP(task.host) === 0) names.add(task.host);
  return [...names].sort();
}

/** MarathonState.hosts from (host, addresses) pairs: keys sorted, and no prototype, so "constructor" is just a name. */
export function hostTable(entries: Iterable<readonly [string, readonly string[]]>): Readonly<Record<string, readonly string[]>> {
  const table = Object.create(null) as Record<string, readonly string[]>;
  for (const [host, addresses] of [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) table[host] = addresses;
  return table;
}
