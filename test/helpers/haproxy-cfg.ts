// Test helper: parses HAProxy configs into sections and a normalized routing view, so configs we generate can be
// compared with marathon-lb's golden configs by meaning (binds, rules, backends, servers) instead of bytes. Pure.
import { findSection, parseHaproxyConfig, tokenize, type HaproxyConfig, type SectionKind } from './haproxy-cfg-parse.js';
import { compare, splitCondition, unquote } from './haproxy-acl.js';

export { findSection, parseHaproxyConfig, tokenize };
export type { HaproxyConfig, SectionKind };

/**
 * An ACL condition in disjunctive normal form: the rule applies if any alternative holds, and an alternative holds
 * if all its terms hold. `[[]]` is "always" (no `if`), `[]` is "never". Terms are ACL criteria with named ACLs
 * replaced by their definitions (`hdr(host) -i api.example.test`), anonymous ACLs unwrapped (`ssl_fc_sni x`),
 * negation as a leading `!`. Unknown names (HAProxy's predefined ACLs such as `TRUE`) stay as written.
 */
export type Condition = string[][];

export interface Bind {
  /** `*:80`, `127.0.0.1:16379`, … */
  address: string;
  /** The rest of the line, e.g. `ssl crt /etc/ssl/cert.pem`; '' when none. */
  options: string;
}

/** A `use_backend %[… ,map(FILE)]` lookup: the backend is whatever FILE maps the sample KEY to. */
export interface MapLookup {
  /** `map`, or a variant such as `map_beg`. */
  converter: string;
  /** The sample expression and converters before the map, e.g. `req.hdr(host),lower,regsub(:.*$,,)`. */
  key: string;
  file: string;
  default: string | null;
}

export interface BackendRule {
  /** A backend name, or the raw `%[…]` expression for dynamic rules. */
  backend: string;
  when: Condition;
  /** Only present for dynamic `%[…map(…)]` rules, so static rules compare equal to `{ backend, when }`. */
  map?: MapLookup;
}

export interface RedirectRule {
  /** Everything between `redirect` and `if`/`unless`, e.g. `scheme https code 301`. */
  redirect: string;
  when: Condition;
}

export interface ActionRule {
  /** Everything between the keyword and `if`/`unless`, e.g. `set-header X-Forwarded-Port %[dst_port]`. */
  action: string;
  when: Condition;
}

/** An `http-request auth` rule, with the userlists its condition checks through `http_auth(…)`. */
export interface AuthRule {
  realm: string | null;
  userlists: string[];
  when: Condition;
}

export interface Server {
  name: string;
  /** `host:port` as written. */
  address: string;
  id: number | null;
  /** The rest of the line without `id N`, in written order, e.g. `check inter 3s fall 11 disabled`. */
  options: string;
}

interface SharedRouting {
  mode: string | null;
  /** ACL name → its definitions, sorted: repeated `acl` lines with one name are OR-ed, so their order is moot. */
  acls: Record<string, string[]>;
  redirects: RedirectRule[];
  httpRequest: ActionRule[];
  httpResponse: ActionRule[];
  tcpRequest: ActionRule[];
  auth: AuthRule[];
  /** Lines this view does not interpret, in file order, so nothing is silently left out of a comparison. */
  other: string[];
}

export interface FrontendRouting extends SharedRouting {
  /** Sorted by address: HAProxy listens on all of them at once. */
  binds: Bind[];
  /** In file order: the first matching `use_backend` wins. */
  useBackend: BackendRule[];
  defaultBackend: string | null;
}

export interface BackendRouting extends SharedRouting {
  balance: string | null;
  /** The arguments of the `cookie` line (marathon-lb's sticky sessions), e.g. `mesosphere_server_id insert …`. */
  cookie: string | null;
  /** `stick-table` / `stick …` lines in file order. */
  stick: string[];
  /** Arguments of `option httpchk`, e.g. `GET /ping`; '' for a bare `option httpchk`. */
  httpchk: string | null;
  timeoutCheck: string | null;
  httpCheck: string[];
  /** Sorted by name then address: server order only matters for `balance first`, which marathon-lb never writes. */
  servers: Server[];
  /** Sorted `host:port` of every server. */
  serverAddresses: string[];
}

export type ListenRouting = FrontendRouting & BackendRouting;

export interface Routing {
  frontends: Record<string, FrontendRouting>;
  backends: Record<string, BackendRouting>;
  listens: Record<string, ListenRouting>;
  /** Userlist name → its `user`/`group` lines, sorted. */
  userlists: Record<string, string[]>;
}

export function routingOf(config: HaproxyConfig): Routing {
  const routing: Routing = { frontends: {}, backends: {}, listens: {}, userlists: {} };
  for (const section of config.sections) {
    const target =
      section.kind === 'frontend'
        ? routing.frontends
        : section.kind === 'backend'
          ? routing.backends
          : section.kind === 'listen'
            ? routing.listens
            : section.kind === 'userlist'
              ? routing.userlists
              : undefined;
    if (target === undefined) continue;
    // Duplicate proxy names are a HAProxy error; keying by name would otherwise hide one of them.
    if (Object.hasOwn(target, section.name)) throw new Error(`duplicate ${section.kind} ${section.name}`);
    if (section.kind === 'frontend') routing.frontends[section.name] = frontendOf(section.lines);
    else if (section.kind === 'backend') routing.backends[section.name] = backendOf(section.lines);
    else if (section.kind === 'listen') routing.listens[section.name] = listenOf(section.lines);
    else routing.userlists[section.name] = [...section.lines].sort();
  }
  return routing;
}

const FRONTEND_ONLY: ReadonlySet<string> = new Set(['bind', 'use_backend', 'default_backend']);
const BACKEND_ONLY: ReadonlySet<string> = new Set(['balance', 'cookie', 'stick', 'stick-table', 'server', 'http-check']);

type Role = 'frontend' | 'backend' | 'listen';

/** Everything any proxy role can surface; each role's view picks its fields from this. */
type Parts = ListenRouting;

function frontendOf(lines: string[]): FrontendRouting {
  const p = partsOf(lines, 'frontend');
  return {
    mode: p.mode,
    binds: p.binds,
    acls: p.acls,
    useBackend: p.useBackend,
    defaultBackend: p.defaultBackend,
    redirects: p.redirects,
    httpRequest: p.httpRequest,
    httpResponse: p.httpResponse,
    tcpRequest: p.tcpRequest,
    auth: p.auth,
    other: p.other,
  };
}

function backendOf(lines: string[]): BackendRouting {
  const p = partsOf(lines, 'backend');
  return {
    mode: p.mode,
    balance: p.balance,
    cookie: p.cookie,
    stick: p.stick,
    httpchk: p.httpchk,
    timeoutCheck: p.timeoutCheck,
    httpCheck: p.httpCheck,
    acls: p.acls,
    redirects: p.redirects,
    httpRequest: p.httpRequest,
    httpResponse: p.httpResponse,
    tcpRequest: p.tcpRequest,
    auth: p.auth,
    servers: p.servers,
    serverAddresses: p.serverAddresses,
    other: p.other,
  };
}

function listenOf(lines: string[]): ListenRouting {
  return partsOf(lines, 'listen');
}

function partsOf(lines: string[], role: Role): Parts {
  const acls = aclsOf(lines);
  const p: Parts = {
    mode: null,
    binds: [],
    acls: Object.fromEntries([...acls].sort(([a], [b]) => compare(a, b))),
    useBackend: [],
    defaultBackend: null,
    redirects: [],
    httpRequest: [],
    httpResponse: [],
    tcpRequest: [],
    auth: [],
    balance: null,
    cookie: null,
    stick: [],
    httpchk: null,
    timeoutCheck: null,
    httpCheck: [],
    servers: [],
    serverAddresses: [],
    other: [],
  };
  for (const line of lines) {
    const words = tokenize(line);
    const [keyword = '', ...args] = words;
    // A directive outside its role (a `server` in a frontend) is kept verbatim rather than interpreted.
    const misplaced = (role === 'frontend' && BACKEND_ONLY.has(keyword)) || (role === 'backend' && FRONTEND_ONLY.has(keyword));
    if (misplaced) {
      p.other.push(line);
      continue;
    }
    switch (keyword) {
      case 'acl':
        break; // already collected above, order-insensitively
      case 'mode':
        p.mode = args.join(' ');
        break;
      case 'bind':
        p.binds.push({ address: args[0] ?? '', options: args.slice(1).join(' ') });
        break;
      case 'use_backend': {
        const { head, when } = splitCondition(args, acls);
        const backend = head.join(' ');
        const map = mapLookupOf(backend);
        p.useBackend.push(map === undefined ? { backend, when } : { backend, when, map });
        break;
      }
      case 'default_backend':
        p.defaultBackend = args.join(' ');
        break;
      case 'redirect': {
        const { head, when } = splitCondition(args, acls);
        p.redirects.push({ redirect: head.join(' '), when });
        break;
      }
      case 'http-request':
      case 'http-response':
      case 'tcp-request': {
        const { head, when } = splitCondition(args, acls);
        const rule = { action: head.join(' '), when };
        if (keyword === 'http-request') {
          p.httpRequest.push(rule);
          if (head[0] === 'auth') p.auth.push(authOf(head, when));
        } else if (keyword === 'http-response') p.httpResponse.push(rule);
        else p.tcpRequest.push(rule);
        break;
      }
      case 'balance':
        p.balance = args.join(' ');
        break;
      case 'cookie':
        p.cookie = args.join(' ');
        break;
      case 'stick':
      case 'stick-table':
        p.stick.push(line);
        break;
      case 'http-check':
        p.httpCheck.push(args.join(' '));
        break;
      case 'server':
        p.servers.push(serverOf(args));
        break;
      case 'option':
        if (args[0] === 'httpchk' && role !== 'frontend') p.httpchk = args.slice(1).join(' ');
        else p.other.push(line);
        break;
      case 'timeout':
        if (args[0] === 'check' && role !== 'frontend') p.timeoutCheck = args.slice(1).join(' ');
        else p.other.push(line);
        break;
      default:
        p.other.push(line);
    }
  }
  p.binds.sort((a, b) => compare(a.address, b.address) || compare(a.options, b.options));
  p.servers.sort((a, b) => compare(a.name, b.name) || compare(a.address, b.address));
  p.serverAddresses = p.servers.map((s) => s.address).sort(compare);
  return p;
}

function aclsOf(lines: string[]): Map<string, string[]> {
  // Collected before any rule is read: one name may be defined on several lines (one per vhost), all OR-ed.
  const acls = new Map<string, string[]>();
  for (const line of lines) {
    const [keyword, name, ...criterion] = tokenize(line);
    if (keyword !== 'acl' || name === undefined) continue;
    const defs = acls.get(name) ?? [];
    defs.push(criterion.join(' '));
    acls.set(name, defs);
  }
  for (const defs of acls.values()) defs.sort(compare);
  return acls;
}

function serverOf(args: string[]): Server {
  const [name = '', address = '', ...rest] = args;
  const idAt = rest.indexOf('id');
  const idWord = idAt >= 0 ? rest[idAt + 1] : undefined;
  const options = idAt >= 0 ? [...rest.slice(0, idAt), ...rest.slice(idAt + 2)] : rest;
  return { name, address, id: idWord === undefined ? null : Number(idWord), options: options.join(' ') };
}

function authOf(head: string[], when: Condition): AuthRule {
  const realmAt = head.indexOf('realm');
  const realmWord = realmAt >= 0 ? head[realmAt + 1] : undefined;
  const userlists = new Set<string>();
  for (const term of when.flat()) {
    const m = /^!?http_auth(?:_group)?\(([^),]+)/.exec(term);
    if (m?.[1] !== undefined) userlists.add(m[1]);
  }
  return { realm: realmWord === undefined ? null : unquote(realmWord), userlists: [...userlists].sort(compare), when };
}

/** Reads `%[SAMPLE,conv,…,map(FILE[,DEFAULT])]`; undefined for a plain backend name or any other expression. */
function mapLookupOf(backend: string): MapLookup | undefined {
  if (!backend.startsWith('%[') || !backend.endsWith(']')) return undefined;
  const parts = splitTopLevel(backend.slice(2, -1), ',');
  const last = parts.at(-1);
  const m = last === undefined ? null : /^(map(?:_\w+)?)\((.*)\)$/.exec(last);
  if (m === null || m[1] === undefined || m[2] === undefined) return undefined;
  const [file = '', ...fallback] = splitTopLevel(m[2], ',');
  return { converter: m[1], key: parts.slice(0, -1).join(','), file, default: fallback.length > 0 ? fallback.join(',') : null };
}

/** Splits on `separator` outside parentheses, since converter arguments (`regsub(:.*$,,)`) contain commas. */
function splitTopLevel(text: string, separator: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    else if (ch === ')') depth--;
    if (ch === separator && depth === 0) {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  parts.push(current);
  return parts;
}

/** Separates `WORDS… [if|unless CONDITION]`; `{ … }` blocks are skipped so a word inside one is never the split. */
