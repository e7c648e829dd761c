// HaproxyView + templates → haproxy.cfg text and the two map files, in marathon-lb's section order. Pure: the same
// view and templates give byte-identical output. Each service's text is kept with its (immutable) view, so only
// services that changed since the last render are rendered again; sections are joined once.
import type { TemplateSet, TemplateValue, TemplateVars } from './templates.js';
import type { Fragment, HaproxyView, ServiceView, WeightedRules } from './view-types.js';
import { finish } from './steps.js';

export interface RenderedConfig {
  /**
   * haproxy.cfg in consecutive pieces, each one or more whole lines: joined, they are the file. The installer
   * compares and writes them one by one, so that a large config (14 MB at 10k apps) is never a second copy of what the
   * services' texts hold: most pieces are those texts.
   */
  readonly pieces: readonly string[];
  /** The pieces joined, made when asked for (the dry run, tests). */
  readonly config: string;
  readonly domainMap: string;
  readonly appMap: string;
  /**
   * For each line of `config` (1-based line n at index n-1): the backend of the service that produced it, or null.
   * Made when asked for, which is when `haproxy -c` rejected the config (290k lines at 10k apps).
   */
  readonly lineOwners: readonly (string | null)[];
}

function renderFragment(fragment: Fragment, templates: TemplateSet, owner: ServiceView | null): string {
  const override = fragment.perPort ? owner?.service.overrides.get(fragment.template) : undefined;
  const template = override ?? templates.get(fragment.template);
  if (template === undefined) throw new Error(`no template HAPROXY_${fragment.template}`);
  let vars: TemplateVars = fragment.vars;
  if (fragment.nested !== undefined) {
    // Copied with Object.assign, not `{ ...vars, ...inner }`, which makes a new hidden class for nearly every object
    // (V8, Node 20): this runs for every server line.
    const merged: Record<string, TemplateValue> = Object.assign({}, vars);
    for (const [key, nested] of Object.entries(fragment.nested)) merged[key] = renderFragment(nested, templates, owner);
    vars = merged;
  }
  return template(vars);
}

const RULE_ORDER: Readonly<Record<string, number>> = { acl: 0, 'tcp-request': 1, 'http-request': 2, redirect: 3 };
const RANKS = 5;

/** A text's lines, without their newlines (a trailing newline ends the last line, it does not start another). */
function splitLines(text: string): string[] {
  if (text === '') return [];
  const parts = text.split('\n');
  if (parts.at(-1) === '') parts.pop();
  return parts;
}

/**
 * One output line, newline included, and the backend whose fragment produced it (null for shared text), so HAProxy's
 * complaints about a line can be traced back to the app that caused it. A chunk of one line: the config's pieces
 * take it as it is, so a rule line is one string however many times it is rendered.
 */
interface Line extends Chunk {
  readonly lines: 1;
}

function linesOf(text: string, owner: string | null): Line[] {
  return splitLines(text).map((t) => ({ text: `${t}\n`, lines: 1, owner }));
}

/**
 * HAProxy evaluates a frontend's http-request and redirect rules before any use_backend, whatever their order in the
 * file, and warns when they come later. Listing them in evaluation order (stable within each kind, acl lines first so
 * every ACL is declared before use) changes nothing in routing and removes the warnings marathon-lb's configs draw.
 * The lines are kept in one bucket per kind, so that a frontend's lines are the services' buckets, kind by kind.
 */
function byRank(lines: readonly Line[]): readonly (readonly Line[])[] {
  if (lines.length === 0) return NO_BUCKETS;
  const buckets: Line[][] = Array.from({ length: RANKS }, () => []);
  for (const line of lines) buckets[RULE_ORDER[line.text.trim().split(/\s+/, 1)[0] ?? ''] ?? RANKS - 1]?.push(line);
  // Kept with the service for as long as its view lives: a bucket grown by push reserves 17 slots, and most are empty.
  return buckets.map((bucket) => (bucket.length === 0 ? NO_LINES : bucket.slice()));
}

const NO_LINES: readonly Line[] = Object.freeze([]);
const NO_BUCKETS: readonly (readonly Line[])[] = Object.freeze(Array.from({ length: RANKS }, () => NO_LINES));

/** Stable sort by weight, largest first: ties keep (appId, servicePort) order, as marathon-lb's sort does. */
function byWeight(services: readonly ServiceView[], pick: (s: ServiceView) => WeightedRules): ServiceView[] {
  return services
    .map((s, i) => ({ s, i, w: pick(s).weight }))
    .sort((a, b) => b.w - a.w || a.i - b.i)
    .map((x) => x.s);
}

/** Text of consecutive lines with one owner: `lines` lines, each ending in a newline. */
interface Chunk {
  readonly text: string;
  readonly lines: number;
  readonly owner: string | null;
}

/**
 * The chunk of rendered texts, as splitting them into lines (linesOf) and ending each line in a newline gives it,
 * but without a Line per line (a backend's server lines are most of a large config): empty texts are left out, and
 * a newline is added to a text that does not end in one.
 */
export function textChunk(texts: readonly string[], owner: string | null): Chunk {
  const pieces: string[] = [];
  let lines = 0;
  for (const t of texts) {
    if (t === '') continue;
    const piece = t.endsWith('\n') ? t : `${t}\n`;
    pieces.push(piece);
    for (let at = piece.indexOf('\n'); at >= 0; at = piece.indexOf('\n', at + 1)) lines++;
  }
  // join() makes one flat string; `+=` would keep every piece and a node per join for as long as the memo lives.
  return { text: pieces.join(''), lines, owner };
}

/** A service's text, section by section; the shared frontends' rules by kind (see byRank). */
interface ServiceText {
  readonly userlist: Chunk;
  readonly http: readonly (readonly Line[])[];
  readonly https: readonly (readonly Line[])[];
  readonly appId: readonly (readonly Line[])[];
  readonly frontend: Chunk;
  readonly backend: Chunk;
}

// Views and template sets are immutable: a service view keeps what was rendered of it for as long as both live, so
// a config that changed in a few services renders only those (and a runtime plan reads each server line once).
type PerService<T> = WeakMap<TemplateSet, WeakMap<ServiceView, T>>;

function memoized<T>(cache: PerService<T>, templates: TemplateSet, s: ServiceView, make: () => T): T {
  let forTemplates = cache.get(templates);
  if (forTemplates === undefined) {
    forTemplates = new WeakMap();
    cache.set(templates, forTemplates);
  }
  let value = forTemplates.get(s);
  if (value === undefined) {
    value = make();
    forTemplates.set(s, value);
  }
  return value;
}

const serviceTexts: PerService<ServiceText> = new WeakMap();
const serverLineTexts: PerService<readonly string[]> = new WeakMap();

function serviceText(s: ServiceView, templates: TemplateSet): ServiceText {
  return memoized(serviceTexts, templates, s, () => {
    const lines = (fragments: readonly Fragment[]): Line[] => fragments.flatMap((f) => linesOf(renderFragment(f, templates, s), s.backend));
    const chunk = (fragments: readonly Fragment[]): Chunk => textChunk(fragments.map((f) => renderFragment(f, templates, s)), s.backend);
    return {
      userlist: chunk(s.userlist),
      http: byRank(lines(s.http.fragments)),
      https: byRank(lines(s.https.fragments)),
      appId: byRank(lines(s.appId)),
      frontend: chunk(s.frontend),
      // Apart from renderServerLines: only a runtime plan needs server lines on their own, and only for the services
      // that changed; taking them from there would keep every server line as a string even where none asks.
      backend: chunk(s.backendSection),
    };
  });
}

/** Services between the points where renderConfigSteps lets its caller do other work. */
const SERVICES_PER_STEP = 32;

export function renderConfig(view: HaproxyView, templates: TemplateSet): RenderedConfig {
  return finish(renderConfigSteps(view, templates));
}

/**
 * renderConfig as steps (see lb/steps.ts): it pauses every SERVICES_PER_STEP services in each pass over them, as
 * rendering a service's texts and putting 10k services' texts in order each take tens of milliseconds.
 */
export function* renderConfigSteps(view: HaproxyView, templates: TemplateSet): Generator<void, RenderedConfig> {
  const out: Chunk[] = [];
  let count = 0;
  const due = (): boolean => ++count % SERVICES_PER_STEP === 0;
  const textOf = (s: ServiceView): ServiceText => serviceText(s, templates);
  const head = (name: string, vars: TemplateVars = view.head): void => {
    out.push(textChunk([renderFragment({ template: name, vars, perPort: false }, templates, null)], null));
  };
  const rules = (buckets: readonly (readonly Line[])[]): void => {
    for (const bucket of buckets) for (const line of bucket) out.push(line);
  };
  /** Every service's rule lines of one kind, rank by rank (all services' rank 0 first), as marathon-lb orders them. */
  function* shared(services: readonly ServiceView[], pick: (t: ServiceText) => readonly (readonly Line[])[]): Generator<void, void> {
    const picked: (readonly (readonly Line[])[])[] = [];
    for (const s of services) {
      picked.push(pick(textOf(s)));
      if (due()) yield;
    }
    for (let rank = 0; rank < RANKS; rank++) {
      for (const buckets of picked) {
        for (const line of buckets[rank] ?? []) out.push(line);
        if (due()) yield;
      }
    }
  }
  const services = view.services;
  head('HEAD');
  for (const s of services) {
    out.push(textOf(s).userlist);
    if (due()) yield;
  }

  if (view.bindHttpHttps) {
    head('HTTP_FRONTEND_HEAD');
    yield* shared(byWeight(services, (s) => s.http), (t) => t.http);
  }
  head('HTTP_FRONTEND_APPID_HEAD');
  yield* shared(services, (t) => t.appId);
  if (view.bindHttpHttps) {
    if (view.groupHttpsByVhost) {
      head('HTTPS_GROUPED_FRONTEND_HEAD');
      for (const g of view.groupedVhosts) head('HTTPS_GROUPED_VHOST_FRONTEND_ACL', { backend: g.name, host: g.vhost });
      for (const g of view.groupedVhosts) {
        head('HTTPS_GROUPED_VHOST_BACKEND_HEAD', { name: g.name });
        head('HTTPS_GROUPED_VHOST_FRONTEND_HEAD', { name: g.name, sslCerts: g.certs.map((c) => `crt ${c}`).join(' '), bindOpts: g.bindOptions.map((o) => ` ${o}`).join(' ') });
        rules(byRank(g.rules.flatMap((r) => linesOf(renderFragment(r.fragment, templates, r.owner), r.owner.backend))));
        if (due()) yield;
      }
    } else {
      head('HTTPS_FRONTEND_HEAD');
      yield* shared(byWeight(services, (s) => s.https), (t) => t.https);
    }
  }
  for (const s of services) {
    out.push(textOf(s).frontend);
    if (due()) yield;
  }
  for (const s of services) {
    out.push(textOf(s).backend);
    if (due()) yield;
  }

  const mapText = (entries: readonly (readonly [string, string])[]): string => entries.map(([k, v]) => `${k} ${v}\n`).join('');
  const pieces = out.map((c) => c.text);
  return {
    pieces,
    get config(): string {
      return pieces.join('');
    },
    domainMap: mapText(view.domainMap),
    appMap: mapText(view.appMap),
    get lineOwners(): readonly (string | null)[] {
      const owners: (string | null)[] = [];
      for (const chunk of out) for (let i = 0; i < chunk.lines; i++) owners.push(chunk.owner);
      return owners;
    },
  };
}

/**
 * The server lines of one service, as renderConfig writes them (for the runtime plan, where the running view's are
 * the previous plan's new ones: kept, not rendered again).
 */
export function renderServerLines(service: ServiceView, templates: TemplateSet): readonly string[] {
  return memoized(serverLineTexts, templates, service, () =>
    service.backendSection.filter((f) => f.template === 'BACKEND_SERVER_OPTIONS').flatMap((f) => splitLines(renderFragment(f, templates, service))),
  );
}
