// DNS naming rules: mesos-dns's label sanitisers, framework domain fragments and task-id hashes, plus
// switchyard's rule for labels too long for DNS. Pure functions, no I/O.
import { sha1Words } from './sha1.js';

/** RFC1123 allows leading digits and 63-character labels; RFC952 forbids leading digits and caps at 24. */
export type LabelSpec = 'rfc1123' | 'rfc952';

const MAX_LABEL_LENGTH: Record<LabelSpec, number> = { rfc1123: 63, rfc952: 24 };

/** DNS forbids labels longer than 63 octets (RFC 1035 §2.3.4). */
const MAX_DNS_LABEL_OCTETS = 63;

// Mirrors mesos-dns's mapping(): anything that is not an ASCII letter, digit or separator is
// deleted outright rather than replaced, so "my app" becomes "myapp", not "my-app". Every
// non-ASCII character is dropped, so iterating UTF-16 units gives the same result as Go's runes.
function mapChar(c: string): string {
  if (c >= 'A' && c <= 'Z') return c.toLowerCase();
  if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) return c;
  if (c === '-' || c === '.' || c === '_') return '-';
  return '';
}

function trimLeftChars(s: string, cutset: string): string {
  let i = 0;
  while (i < s.length && cutset.includes(s.charAt(i))) i++;
  return s.slice(i);
}

function trimRightDashes(s: string): string {
  let end = s.length;
  while (end > 0 && s.charAt(end - 1) === '-') end--;
  return s.slice(0, end);
}

/**
 * mesos-dns's task-name label sanitiser (records/labels RFC1123 / RFC952).
 *
 * The cut reproduces mesos-dns's trimCut: when the length cut lands in a run of dashes, the dashes
 * are dropped and the characters after the run are pulled in to refill the label up to the cut size
 * ("hello" + 58 dashes + "f" → "hellof"). Names must match mesos-dns byte for byte, because clients
 * already query them.
 *
 * One deliberate deviation: mesos-dns never re-trims the pulled-in characters, so it can emit a label
 * ending in "-" (RFC952: 22 letters + "--x-yz" → "…x-"), which is not a valid host name. We trim
 * trailing dashes once more at the end; this changes no name that mesos-dns gets right.
 */
export function label(name: string, spec: LabelSpec): string {
  let mapped = '';
  for (const c of name) mapped += mapChar(c);

  const trimmed = trimLeftChars(mapped, spec === 'rfc952' ? '-0123456789' : '-');
  const size = Math.min(trimmed.length, MAX_LABEL_LENGTH[spec]);
  const head = trimRightDashes(trimmed.slice(0, size));
  if (head.length === size) return head;

  const tail = trimLeftChars(trimmed.slice(size), '-');
  return trimRightDashes(head + tail.slice(0, size - head.length));
}

/**
 * mesos-dns's DomainFrag for framework names: dots are kept as label separators (so "marathon-0.7.5"
 * stays multi-label under RFC1123), each part is sanitised on its own, and parts that sanitise to
 * nothing vanish instead of leaving empty labels.
 */
export function domainFrag(name: string, spec: LabelSpec): string {
  return name
    .split('.')
    .map((part) => label(part, spec))
    .filter((part) => part !== '')
    .join('.');
}

const ZBASE32_ALPHABET = 'ybndrfg8ejkmcpqxot1uwisza345h769';

// Same bit order as github.com/tv42/zbase32: most significant bits first, the final partial group
// padded with zero bits, no padding characters.
function zbase32(bytes: readonly number[]): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = ((buffer << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ZBASE32_ALPHABET.charAt((buffer >> bits) & 31);
    }
  }
  if (bits > 0) out += ZBASE32_ALPHABET.charAt((buffer << (5 - bits)) & 31);
  return out;
}

/**
 * The 5-character hash mesos-dns puts in per-task names (`name-<hash>-<slave>`): the first 5
 * characters of zbase32(sha1(id)), over the UTF-8 bytes of the id.
 */
export function taskIdHash(id: string): string {
  // Five characters carry 25 bits: the first four bytes of the digest are enough.
  const head = sha1Words(id)[0];
  return zbase32([head >>> 24, (head >>> 16) & 0xff, (head >>> 8) & 0xff, head & 0xff]).slice(0, 5);
}

/**
 * The last "-"-separated part of a Mesos slave (agent) id, lower-cased, as mesos-dns uses it to make
 * per-task names unique across agents: "20140803-125133-3041283216-5050-2410-S3" → "s3".
 */
export function slaveIdTail(slaveId: string): string {
  const parts = slaveId.split('-');
  return (parts[parts.length - 1] ?? '').toLowerCase();
}

const FIT_PREFIX_OCTETS = 57;

/**
 * switchyard's rule for labels longer than 63 octets.
 *
 * mesos-dns publishes such labels anyway (an SRV "_" prefix on a 63-character task label gives 64
 * octets), but DNS forbids them, so no client can ever query those names. Instead of dropping the
 * record we shorten the label:
 *
 *   - at most 63 octets (UTF-8): returned unchanged, so every name mesos-dns gets right is kept;
 *   - longer: the first 57 octets (never splitting a character), trailing "-" removed, then "-",
 *     then taskIdHash of the WHOLE original label; at most 57 + 1 + 5 = 63 octets.
 *
 * Hashing the whole label keeps the result stable across refreshes and keeps two long labels that
 * share a prefix distinct. For ASCII labels "57 octets" is simply "57 characters". If the prefix
 * is nothing but dashes the hash stands alone, so the label never starts with "-".
 */
export function fitLabel(label: string): string {
  if (Buffer.byteLength(label, 'utf8') <= MAX_DNS_LABEL_OCTETS) return label;

  let prefix = '';
  let octets = 0;
  for (const c of label) {
    const size = Buffer.byteLength(c, 'utf8');
    if (octets + size > FIT_PREFIX_OCTETS) break;
    prefix += c;
    octets += size;
  }
  prefix = trimRightDashes(prefix);

  const hash = taskIdHash(label);
  return prefix === '' ? hash : `${prefix}-${hash}`;
}
