// The fast path: a raw query → a reply copied from the AnswerTable, or null to hand the query to the general path.
// Pure but for scratch buffers (its own, and the table's reply area). Reads the header and question without a general
// parser and accepts only the plain shapes whose answer it knows to be byte for byte what answer() gives; everything
// else (and anything odd) is null.
import { ADVERTISED_UDP_SIZE, sizeLimitFor } from './answer.js';
import { AnswerTable, ENTRY } from './answer-table.js';
import { FNV_OFFSET, FNV_PRIME } from './name-index.js';
import { REPLY_AREA_BYTES, type ReplyArea } from './reply-area.js';
import { CLASS_ANY, CLASS_IN, HEADER_LENGTH, RCODE, TYPE, optRecord } from './wire.js';

export interface FastOptions {
  /** The RA flag (mesos-dns `recurseon`). */
  readonly recursionAvailable: boolean;
  /** mesos-dns `SetTruncateBit`. */
  readonly setTruncateBit: boolean;
}

/** Filled in by fastAnswer for the caller's counters (one object, reused: the path allocates only the reply). */
export interface FastInfo {
  qtype: number;
  rcode: number;
  truncated: boolean;
}

const OPT_LENGTH = 11;
/** dns2 decodes this EDNS option (client subnet) and can fail on it; other options it skips without looking. */
const EDNS_OPTION_ECS = 8;
/**
 * Copies up to this many bytes in a loop: Buffer.copy has a fixed cost (it makes a view per call) that a byte loop
 * only reaches at about this length (measured: both ~200 ns at 64 bytes here).
 */
const LOOP_COPY = 48;
/** The OPT record switchyard sends: root owner, type OPT, our UDP size, no extended rcode, version 0, no options. */
const OPT_RECORD = optRecord(ADVERTISED_UDP_SIZE);

/** The question name, lower-cased (A–Z only, as answer() does) and dotted; the path is synchronous, so one will do. */
const nameBytes = Buffer.alloc(256);
/** What readQuery found, reused between calls. */
const question = { nameLength: 0, hash: 0, questionLength: 0, qtype: 0, udpSize: -1 };

/**
 * Reads a query of the one shape the fast path serves: QUERY opcode, QR clear, one question of class IN or ANY
 * whose name is ASCII and written out in full (no compression pointer, no "." inside a label, at most 255
 * octets), no answer or authority records, and at most an OPT record (version 0, no option or one that is not
 * ECS) ending the message exactly. Returns false for anything else.
 */
function readQuery(message: Buffer): boolean {
  const length = message.length;
  if (length < HEADER_LENGTH + 5) return false;
  // QR set (a response) or an opcode other than QUERY: the general path decides.
  if (((message[2] ?? 0) & 0xf8) !== 0) return false;
  if (message[4] !== 0 || message[5] !== 1 || message[6] !== 0 || message[7] !== 0 || message[8] !== 0 || message[9] !== 0 || message[10] !== 0) return false;
  const arcount = message[11] ?? 0;
  if (arcount > 1) return false;

  let at = HEADER_LENGTH;
  let out = 0;
  let hash = FNV_OFFSET;
  for (;;) {
    const labelLength = message[at] ?? 0xff;
    if (labelLength === 0) break;
    if (labelLength > 63 || at + 1 + labelLength >= length) return false;
    for (let i = at + 1; i <= at + labelLength; i++) {
      let c = message[i] ?? 0;
      if (c === 0x2e || c > 0x7f) return false;
      if (c >= 0x41 && c <= 0x5a) c += 0x20;
      nameBytes[out++] = c;
      hash = Math.imul(hash ^ c, FNV_PRIME);
    }
    nameBytes[out++] = 0x2e;
    hash = Math.imul(hash ^ 0x2e, FNV_PRIME);
    at += 1 + labelLength;
    if (out > 254) return false;
  }
  if (out === 0) return false; // the root is never in the zone
  at += 1;
  if (at + 4 > length) return false;
  const qclass = ((message[at + 2] ?? 0) << 8) | (message[at + 3] ?? 0);
  if (qclass !== CLASS_IN && qclass !== CLASS_ANY) return false;
  question.qtype = ((message[at] ?? 0) << 8) | (message[at + 1] ?? 0);
  question.questionLength = at + 4 - HEADER_LENGTH;
  question.nameLength = out;
  question.hash = hash;
  at += 4;

  question.udpSize = -1;
  if (arcount === 1) {
    if (at + OPT_LENGTH > length || message[at] !== 0 || message.readUInt16BE(at + 1) !== TYPE.OPT) return false;
    // An extended-rcode byte of 0x80 or more makes dns2 read the version as 255; any version but 0 is BADVERS.
    if ((message[at + 5] ?? 0) >= 0x80 || message[at + 6] !== 0) return false;
    const rdlength = message.readUInt16BE(at + 9);
    if (at + OPT_LENGTH + rdlength !== length) return false;
    if (rdlength !== 0) {
      if (rdlength < 4 || message.readUInt16BE(at + 11) === EDNS_OPTION_ECS || message.readUInt16BE(at + 13) + 4 !== rdlength) return false;
    }
    question.udpSize = message.readUInt16BE(at + 3);
  } else if (at !== length) {
    return false;
  }
  return true;
}

/** True when the name read is the apex or below it. */
function inZone(apex: Buffer): boolean {
  const length = question.nameLength;
  const start = length - apex.length;
  if (start < 0 || (start > 0 && nameBytes[start - 1] !== 0x2e)) return false;
  for (let i = 0; i < apex.length; i++) if (nameBytes[start + i] !== apex[i]) return false;
  return true;
}

function copyBytes(from: Buffer, start: number, end: number, to: Buffer, at: number): number {
  if (end - start > LOOP_COPY) return from.copy(to, at, start, end);
  let j = at;
  for (let i = start; i < end; i++) to[j++] = from[i] ?? 0;
  return end - start;
}

/** The table's bytes [from, to) to the reply at `at`: inside one block when the reply is in the table's area. */
function answers(area: ReplyArea | null, bytes: Buffer, from: number, to: number, out: Buffer, at: number): number {
  return area === null ? copyBytes(bytes, from, to, out, at) : area.copyAnswers(from, to, at);
}

/** Where answer record `i` of an entry starts; `count` is the end of the answers. */
function recordStart(table: AnswerTable, firstRecord: number, count: number, answersEnd: number, i: number): number {
  return i < count ? (table.recordStarts[firstRecord + i] ?? 0) : answersEnd;
}

/**
 * Answers `message` from the table when it is an in-zone question of the plain shape; null otherwise. The reply
 * equals answer()'s for the same rotation: the same header bits, the question as asked, answers rotated by
 * `rotation` modulo their count, additional data dropped first and then whole answers (with TC) to fit the limit.
 * Rotation is applied while copying, from the record offsets, so one encoding serves every rotation.
 * `intoTable` writes the reply into the table's reply area instead of a new buffer (dns/reply-area.ts): the UDP
 * server's way, valid until the next such call, so it is sent at once and never while a send is queued.
 */
export function fastAnswer(
  table: AnswerTable,
  message: Buffer,
  transport: 'udp' | 'tcp',
  rotation: number,
  options: FastOptions,
  info: FastInfo,
  intoTable = false,
): Buffer | null {
  if (!readQuery(message) || !inZone(table.apexBytes)) return null;
  const { nameLength, questionLength, qtype, udpSize } = question;
  const nameIndex = table.index.find(nameBytes, nameLength, question.hash);
  const entry = nameIndex < 0 ? -1 : table.entry(nameIndex, qtype);
  const rcode = nameIndex < 0 ? RCODE.NXDOMAIN : RCODE.NOERROR;
  const authority = entry < 0 ? table.negativeAuthority(nameBytes, nameLength) : null;
  if (entry < 0 && authority === null) return null;
  const e = entry * ENTRY.STRIDE;
  const entries = table.entries;
  const start = entry < 0 ? 0 : (entries[e + ENTRY.START] ?? 0);
  const answersEnd = entry < 0 ? 0 : (entries[e + ENTRY.ANSWERS_END] ?? 0);
  const end = entry < 0 ? 0 : (entries[e + ENTRY.END] ?? 0);
  const count = entry < 0 ? 0 : (entries[e + ENTRY.ANSWERS] ?? 0);
  const firstRecord = entry < 0 ? 0 : (entries[e + ENTRY.FIRST_RECORD] ?? 0);

  const limit = sizeLimitFor(transport, udpSize < 0 ? null : udpSize);
  const optLength = udpSize < 0 ? 0 : OPT_LENGTH;
  const fixed = HEADER_LENGTH + questionLength + optLength + (authority === null ? 0 : authority.length);
  const shift = count > 1 && rotation !== 0 ? rotation % count : 0;

  let keepAdditional = true;
  let kept = count;
  let answerBytes = answersEnd - start;
  let truncated = false;
  if (fixed + answerBytes + (end - answersEnd) > limit) {
    keepAdditional = false;
    if (fixed + answerBytes > limit) {
      // Whole records in rotated order while they fit.
      truncated = true;
      kept = 0;
      answerBytes = 0;
      for (let i = 0; i < count; i++) {
        const r = (shift + i) % count;
        const size = recordStart(table, firstRecord, count, answersEnd, r + 1) - recordStart(table, firstRecord, count, answersEnd, r);
        if (fixed + answerBytes + size > limit) break;
        answerBytes += size;
        kept++;
      }
    }
  }
  const additionalBytes = keepAdditional ? end - answersEnd : 0;
  const additionalCount = keepAdditional && entry >= 0 ? (entries[e + ENTRY.ADDITIONAL] ?? 0) : 0;
  const length = fixed + answerBytes + additionalBytes;
  const area = intoTable && length <= REPLY_AREA_BYTES ? table.replies : null;
  const out = area === null ? Buffer.allocUnsafe(length) : area.view(length);
  // Header: the query's ID and RD; QR and AA set; opcode QUERY; one question.
  out[0] = message[0] ?? 0;
  out[1] = message[1] ?? 0;
  out[2] = 0x84 | (truncated && options.setTruncateBit ? 0x02 : 0) | ((message[2] ?? 0) & 0x01);
  out[3] = (options.recursionAvailable ? 0x80 : 0) | rcode;
  out[4] = 0;
  out[5] = 1;
  out[6] = kept >> 8;
  out[7] = kept & 0xff;
  out[8] = 0;
  out[9] = authority === null ? 0 : 1;
  const arcount = additionalCount + (optLength > 0 ? 1 : 0);
  out[10] = arcount >> 8;
  out[11] = arcount & 0xff;
  let at = HEADER_LENGTH + copyBytes(message, HEADER_LENGTH, HEADER_LENGTH + questionLength, out, HEADER_LENGTH);
  const bytes = table.bytes;
  if (kept > 0) {
    // The kept records are the rotated run shift, shift+1, … wrapping past the last: at most two byte ranges.
    const wrapAt = Math.min(count, shift + kept);
    at += answers(area, bytes, recordStart(table, firstRecord, count, answersEnd, shift), recordStart(table, firstRecord, count, answersEnd, wrapAt), out, at);
    const wrapped = shift + kept - count;
    if (wrapped > 0) at += answers(area, bytes, start, recordStart(table, firstRecord, count, answersEnd, wrapped), out, at);
  }
  if (authority !== null) at += copyBytes(authority, 0, authority.length, out, at);
  if (additionalBytes > 0) at += answers(area, bytes, answersEnd, end, out, at);
  if (optLength > 0) copyBytes(OPT_RECORD, 0, OPT_LENGTH, out, at);
  info.qtype = qtype;
  info.rcode = rcode;
  info.truncated = truncated;
  return out;
}
