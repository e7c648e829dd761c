// Strict parsers for marathon-lb label values: each one rejects anything that could break out of its HAProxy line.
// Pure: no I/O, no clock, no globals.
import { isIPv4, isIPv6 } from 'node:net';

export type ParseResult<T> = { ok: true; value: T } | { ok: false; reason: string };

export interface AuthValue {
  readonly realm: string;
  readonly user: string;
  readonly passwordHash: string;
}

export interface TimestampValue {
  readonly raw: string;
  /** Milliseconds since the epoch; a value without a zone is read as UTC (marathon-lb compares naive datetimes). */
  readonly epochMs: number;
}

// ---------------------------------------------------------------------------------------------
// Parsers. Each rejects control characters first, so no value can ever carry a newline.

const CONTROL = /[\u0000-\u001f\u007f]/;

function fail<T>(reason: string): ParseResult<T> {
  return { ok: false, reason };
}

function ok<T>(value: T): ParseResult<T> {
  return { ok: true, value };
}

function describeBad(raw: string): string | null {
  if (raw.length === 0) return 'is empty';
  if (/[\r\n]/.test(raw)) return 'contains a line break';
  if (CONTROL.test(raw)) return 'contains a control character';
  if (raw.length > 4096) return 'is longer than 4096 characters';
  return null;
}

/** Wraps a parser with the checks every label shares (empty, line breaks, control characters, size). */
function guarded<T>(parse: (raw: string) => ParseResult<T>): (raw: string) => ParseResult<T> {
  return (raw) => {
    const bad = describeBad(raw);
    return bad === null ? parse(raw) : fail(`value ${bad}`);
  };
}

const TRUE_WORDS = new Set(['true', 't', 'yes', 'y']);
const FALSE_WORDS = new Set(['false', 'f', 'no', 'n']);

/** marathon-lb: true for true/t/yes/y in any case, false otherwise; we also require the false side to be a real word. */
export const parseBool = guarded<boolean>((raw) => {
  const v = raw.toLowerCase();
  if (TRUE_WORDS.has(v)) return ok(true);
  if (FALSE_WORDS.has(v)) return ok(false);
  return fail(`${JSON.stringify(raw)} is not a boolean (use true/t/yes/y or false/f/no/n, any case)`);
});

export function intParser(min: number, max: number, what = 'an integer'): (raw: string) => ParseResult<number> {
  return guarded((raw) => {
    if (!/^-?\d{1,10}$/.test(raw)) return fail(`${JSON.stringify(raw)} is not ${what}`);
    const n = Number(raw);
    if (!Number.isSafeInteger(n) || n < min || n > max) return fail(`${raw} is out of range ${min}..${max}`);
    return ok(n);
  });
}

export const parsePort = intParser(1, 65535, 'a port number');

/** A name-like token: groups, deployment groups, colours. */
const TOKEN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export function tokenParser(what: string): (raw: string) => ParseResult<string> {
  return guarded((raw) =>
    TOKEN.test(raw) ? ok(raw) : fail(`${JSON.stringify(raw)} is not a valid ${what} (letters, digits, '.', '_', '-')`),
  );
}

/** Comma list of LB group names; marathon-lb splits on ',' without trimming, so spaces are refused rather than silently kept. */
export const parseGroups = guarded<readonly string[]>((raw) => {
  const parts = raw.split(',');
  for (const p of parts) {
    if (p === '') return fail('has an empty group in the comma list');
    if (p !== '*' && !TOKEN.test(p)) return fail(`group ${JSON.stringify(p)} is not a valid name (letters, digits, '.', '_', '-', or '*')`);
  }
  return ok(parts);
});

/** A deployment group or original app id: becomes the app id `/<group>`, hence backend names. */
export const parseDeploymentGroup = guarded<string>((raw) => {
  const body = raw.startsWith('/') ? raw.slice(1) : raw;
  const segments = body.split('/');
  if (segments.some((s) => !TOKEN.test(s))) {
    return fail(`${JSON.stringify(raw)} is not a valid app id / deployment group (segments of letters, digits, '.', '_', '-' separated by '/')`);
  }
  return ok(raw);
});

const HOST_LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;

/** Comma list of hostnames, lower-cased as marathon-lb does; a leading `*.` wildcard is allowed. */
export const parseVhosts = guarded<readonly string[]>((raw) => {
  const hosts = raw.toLowerCase().split(',');
  for (const h of hosts) {
    if (h === '') return fail('has an empty hostname in the comma list');
    const name = h.startsWith('*.') ? h.slice(2) : h;
    if (name.length === 0 || name.length > 253) return fail(`hostname ${JSON.stringify(h)} has an invalid length`);
    const labels = name.endsWith('.') ? name.slice(0, -1).split('.') : name.split('.');
    if (!labels.every((l) => HOST_LABEL.test(l))) {
      return fail(`${JSON.stringify(h)} is not a hostname (letters, digits, '-', '_' in dot-separated labels, optional '*.' prefix; no spaces, '#', braces or quotes)`);
    }
  }
  return ok(hosts);
});

/** URL path characters that are inert in an HAProxy line: no spaces, '#', braces, quotes, backslash, parentheses. */
const SAFE_PATH = /^\/[A-Za-z0-9._~%!$&*+,;=:@/-]*$/;

/** One absolute path (PROXYPASS, REVPROXY, REDIR). */
export const parsePath = guarded<string>((raw) =>
  SAFE_PATH.test(raw) ? ok(raw) : fail(`${JSON.stringify(raw)} is not a safe absolute path (must start with '/'; no spaces, '#', braces, quotes or backslashes)`),
);

const PATH_FLAGS = new Set(['-i', '-n', '--']);

/** A `path_beg` expression: single-space-separated flags (-i, -n, --) and paths, at least one path. */
export const parsePathExpression = guarded<string>((raw) => {
  const words = raw.split(' ');
  let paths = 0;
  for (const w of words) {
    if (w === '') return fail('has leading, trailing or repeated spaces');
    if (PATH_FLAGS.has(w)) continue;
    if (!SAFE_PATH.test(w)) {
      return fail(`${JSON.stringify(w)} is neither a path_beg flag (-i, -n, --) nor a safe path starting with '/' (no '#', braces, quotes or backslashes)`);
    }
    paths += 1;
  }
  return paths === 0 ? fail('has no path') : ok(raw);
});

export const parseMode = guarded<'http' | 'tcp'>((raw) => {
  const v = raw.toLowerCase();
  return v === 'http' || v === 'tcp' ? ok(v) : fail(`${JSON.stringify(raw)} is not a mode (http or tcp)`);
});

const BALANCE_PLAIN = new Set(['roundrobin', 'static-rr', 'leastconn', 'first', 'source', 'random', 'rdp-cookie']);
const BALANCE_WORD = /^[A-Za-z0-9_.-]+$/;

/**
 * An HAProxy `balance` algorithm. Plain algorithms are single tokens, as are hdr(name), random(n) and rdp-cookie(name);
 * `uri` and `url_param <name>` may carry their HAProxy arguments as single-space-separated words.
 */
export const parseBalance = guarded<string>((raw) => {
  const words = raw.split(' ');
  if (words.some((w) => w === '')) return fail('has leading, trailing or repeated spaces');
  const [algo = '', ...args] = words;
  const reason = `${JSON.stringify(raw)} is not an HAProxy balance algorithm (roundrobin, static-rr, leastconn, first, source, uri, url_param <name>, hdr(<name>), random[(<n>)], rdp-cookie[(<name>)])`;
  if (!args.every((w) => BALANCE_WORD.test(w))) return fail(reason);
  if (args.length === 0 && (BALANCE_PLAIN.has(algo) || algo === 'uri')) return ok(raw);
  if (args.length === 0 && /^(?:hdr\([A-Za-z0-9_-]+\)|random\(\d{1,3}\)|rdp-cookie\([A-Za-z0-9_-]+\))$/.test(algo)) return ok(raw);
  if (algo === 'uri' && args.length <= 4) return ok(raw);
  if (algo === 'url_param' && args.length >= 1 && args.length <= 3) return ok(raw);
  return fail(reason);
});

/** `*` or a literal IPv4/IPv6 address. */
export const parseBindAddr = guarded<string>((raw) =>
  raw === '*' || isIPv4(raw) || isIPv6(raw) ? ok(raw) : fail(`${JSON.stringify(raw)} is not '*' or an IP address`),
);

/** Free text appended to a `bind` line: no '#', braces, quotes or backslashes (all of which change how HAProxy reads the line). */
export const parseBindOptions = guarded<string>((raw) => {
  const bad = /[#{}"'\\]/.exec(raw);
  if (bad) return fail(`contains ${JSON.stringify(bad[0])}, which is not allowed in bind options`);
  const trimmed = raw.trim();
  return trimmed === '' ? fail('value is blank') : ok(trimmed);
});

/** One certificate path: marathon-lb appends it verbatim after `ssl crt `, so it is a single path, not a list. */
export const parseSslCert = guarded<string>((raw) => {
  if (!/^[A-Za-z0-9._/@+=:~-]+$/.test(raw) || raw.startsWith('-')) {
    return fail(`${JSON.stringify(raw)} is not a single certificate path (no spaces, commas, '#', braces or quotes)`);
  }
  return ok(raw);
});

/** `realm:user:passwordhash`, exactly three parts as marathon-lb splits it. */
export const parseAuth = guarded<AuthValue>((raw) => {
  const parts = raw.split(':');
  if (parts.length !== 3) return fail(`must be realm:user:passwordhash (3 parts separated by ':'), got ${parts.length} part(s)`);
  const [realm = '', user = '', passwordHash = ''] = parts;
  if (!TOKEN.test(realm)) return fail(`realm ${JSON.stringify(realm)} must be letters, digits, '.', '_', '-'`);
  if (!TOKEN.test(user)) return fail(`user ${JSON.stringify(user)} must be letters, digits, '.', '_', '-'`);
  if (!/^[A-Za-z0-9./$=+,-]+$/.test(passwordHash)) return fail('password hash must be a crypt(3) string (letters, digits, . / $ = + , -)');
  return ok({ realm, user, passwordHash });
});

function isCidrOrIp(s: string): boolean {
  const slash = s.indexOf('/');
  const addr = slash === -1 ? s : s.slice(0, slash);
  const prefix = slash === -1 ? null : s.slice(slash + 1);
  const max = isIPv4(addr) ? 32 : isIPv6(addr) ? 128 : -1;
  if (max < 0) return false;
  if (prefix === null) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= max;
}

/** Whitespace-separated IPs/CIDRs (spaces or tabs; line breaks are refused). */
export const parseCidrList = guarded<readonly string[]>((raw) => {
  const entries = raw.split(/[ \t]+/).filter((e) => e !== '');
  if (entries.length === 0) return fail('value is blank');
  for (const e of entries) if (!isCidrOrIp(e)) return fail(`${JSON.stringify(e)} is not an IP address or CIDR`);
  return ok(entries);
});

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?(Z|[+-]\d{2}:?\d{2})?$/;

/** An ISO-8601 timestamp (what zdd.py writes: `datetime.now().isoformat()`). */
export const parseTimestamp = guarded<TimestampValue>((raw) => {
  const m = ISO.exec(raw);
  if (!m) return fail(`${JSON.stringify(raw)} is not an ISO-8601 timestamp`);
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', zone] = m;
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12 || day < 1 || day > 31 || Number(h) > 23 || Number(mi) > 59 || Number(s) > 60) {
    return fail(`${JSON.stringify(raw)} is not a valid date/time`);
  }
  let ms = Date.UTC(Number(y), month - 1, day, Number(h), Number(mi), Number(s), Number((frac + '000').slice(0, 3)));
  if (zone !== undefined && zone !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    ms -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
  }
  return ok({ raw, epochMs: ms });
});
