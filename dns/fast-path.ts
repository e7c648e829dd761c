// The fast path: a raw query → a reply copied from the AnswerTable, or null to hand the query to the general path.
// Pure. Reads the header and question without a general parser and accepts only the plain shapes whose answer it
// knows to be byte for byte what answer() gives; everything else (and anything odd) is null.
import { ADVERTISED_UDP_SIZE } from './answer.js';
import { AnswerTable, ENTRY } from './answer-table.js';
import { CLASS_ANY, CLASS_IN, HEADER_LENGTH, RCODE, TYPE } from './wire.js';

export interface FastOptions {
  /** The RA flag (mesos-dns `recurseon`). */
  readonly recursionAvailable: boolean;
  /** mesos-dns `SetTruncateBit`. */
  readonly setTruncateBit: boolean;
}

export interface FastReply {
  readonly bytes: Buffer;
  readonly qtype: number;
  readonly rcode: number;
  readonly truncated: boolean;
}

const PLAIN_UDP_LIMIT = 512;
const MAX_MESSAGE = 65535;
const OPT_LENGTH = 11;
/** dns2 decodes this EDNS option (client subnet) and can fail on it; other options it skips without looking. */
const EDNS_OPTION_ECS = 8;
/** The OPT record switchyard sends: root owner, type OPT, our UDP size, no extended rcode, version 0, no options. */
const OPT_RECORD = Buffer.from([0, 0, TYPE.OPT, ADVERTISED_UDP_SIZE >> 8, ADVERTISED_UDP_SIZE & 0xff, 0, 0, 0, 0, 0, 0]);

/** The question name, lower-cased (A–Z only, as answer() does) and dotted, built here without allocating. */
const nameBytes = Buffer.alloc(256);

/** What the fast path reads from a query. Reused between calls: the path is synchronous. */
interface Question {
  /** Bytes of the question section (name, type, class), starting at offset 12. */
  questionLength: number;
  name: string;
  qtype: number;
  /** The client's EDNS UDP size, or -1 without OPT. */
  udpSize: number;
}

const question: Question = { questionLength: 0, name: '', qtype: 0, udpSize: -1 };

/**
 * Reads a query of the one shape the fast path serves: QUERY opcode, QR clear, one question of class IN or ANY
 * whose name is written out in full (no compression pointer, no "." inside a label, at most 255 octets), no
 * answer or authority records, and at most an OPT record (version 0, no or one option other than ECS) ending the
 * message exactly. Returns false for anything else.
 */
function readQuery(message: Buffer): boolean {
  const length = message.length;
  if (length < HEADER_LENGTH + 5) return false;
  const flags = message[2] ?? 0;
  // QR set (a response) or an opcode other than QUERY: the general path decides.
  if ((flags & 0xf8) !== 0) return false;
  if (message.readUInt16BE(4) !== 1 || message.readUInt16BE(6) !== 0 || message.readUInt16BE(8) !== 0) return false;
  const arcount = message.readUInt16BE(10);
  if (arcount > 1) return false;

  let at = HEADER_LENGTH;
  let out = 0;
  for (;;) {
    const labelLength = message[at] ?? 0xff;
    if (labelLength === 0) break;
    if (labelLength > 63 || at + 1 + labelLength >= length) return false;
    for (let i = at + 1; i <= at + labelLength; i++) {
      const c = message[i] ?? 0;
      if (c === 0x2e) return false;
      nameBytes[out++] = c >= 0x41 && c <= 0x5a ? c + 0x20 : c;
    }
    nameBytes[out++] = 0x2e;
    at += 1 + labelLength;
    if (out > 254) return false;
  }
  if (out === 0) return false; // the root is never in the zone
  at += 1;
  if (at + 4 > length) return false;
  const qclass = message.readUInt16BE(at + 2);
  if (qclass !== CLASS_IN && qclass !== CLASS_ANY) return false;
  question.qtype = message.readUInt16BE(at);
  question.questionLength = at + 4 - HEADER_LENGTH;
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
  question.name = nameBytes.toString('latin1', 0, out);
  return true;
}

/**
 * Answers `message` from the table when it is an in-zone question of the plain shape; null otherwise. The reply
 * equals answer()'s for the same rotation: the same header bits, the question as asked, answers rotated by
 * `rotation` modulo their count, additional data dropped first and then whole answers (with TC) to fit the limit.
 */
export function fastAnswer(table: AnswerTable, message: Buffer, transport: 'udp' | 'tcp', rotation: number, options: FastOptions): FastReply | null {
  if (!readQuery(message)) return null;
  const { name, qtype, questionLength, udpSize } = question;
  const apex = table.zone.apex;
  if (name !== apex && !(name.endsWith(apex) && name.charCodeAt(name.length - apex.length - 1) === 0x2e)) return null;

  const nameIndex = table.names.get(name);
  const entry = nameIndex === undefined ? -1 : table.entry(nameIndex, qtype);
  const rcode = nameIndex === undefined ? RCODE.NXDOMAIN : RCODE.NOERROR;
  const authority = entry < 0 ? table.negativeAuthority(name) : null;
  const e = entry * ENTRY.STRIDE;
  const { entries, recordStarts, bytes } = table;
  const start = entry < 0 ? 0 : (entries[e + ENTRY.START] ?? 0);
  const answersEnd = entry < 0 ? 0 : (entries[e + ENTRY.ANSWERS_END] ?? 0);
  const end = entry < 0 ? 0 : (entries[e + ENTRY.END] ?? 0);
  const count = entry < 0 ? 0 : (entries[e + ENTRY.ANSWERS] ?? 0);
  const firstRecord = entry < 0 ? 0 : (entries[e + ENTRY.FIRST_RECORD] ?? 0);

  const limit = transport === 'tcp' ? MAX_MESSAGE : udpSize < 0 ? PLAIN_UDP_LIMIT : Math.min(MAX_MESSAGE, Math.max(PLAIN_UDP_LIMIT, udpSize));
  const optLength = udpSize < 0 ? 0 : OPT_LENGTH;
  const fixed = HEADER_LENGTH + questionLength + optLength + (authority === null ? 0 : authority.length);
  const shift = count > 1 && rotation !== 0 ? rotation % count : 0;
  const recordStart = (i: number): number => (i < count ? (recordStarts[firstRecord + i] ?? 0) : answersEnd);

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
        const size = recordStart(r + 1) - recordStart(r);
        if (fixed + answerBytes + size > limit) break;
        answerBytes += size;
        kept++;
      }
    }
  }
  const additionalBytes = keepAdditional ? end - answersEnd : 0;
  const out = Buffer.allocUnsafe(fixed + answerBytes + additionalBytes);
  // Header: the query's ID and RD; QR and AA set; opcode QUERY.
  out[0] = message[0] ?? 0;
  out[1] = message[1] ?? 0;
  out[2] = 0x84 | (truncated && options.setTruncateBit ? 0x02 : 0) | ((message[2] ?? 0) & 0x01);
  out[3] = (options.recursionAvailable ? 0x80 : 0) | rcode;
  out.writeUInt16BE(1, 4);
  out.writeUInt16BE(kept, 6);
  out.writeUInt16BE(authority === null ? 0 : 1, 8);
  out.writeUInt16BE((keepAdditional && entry >= 0 ? (entries[e + ENTRY.ADDITIONAL] ?? 0) : 0) + (optLength > 0 ? 1 : 0), 10);
  message.copy(out, HEADER_LENGTH, HEADER_LENGTH, HEADER_LENGTH + questionLength);
  let at = HEADER_LENGTH + questionLength;
  if (kept === count && shift === 0) {
    at += bytes.copy(out, at, start, answersEnd);
  } else {
    for (let i = 0; i < kept; i++) {
      const r = (shift + i) % count;
      at += bytes.copy(out, at, recordStart(r), recordStart(r + 1));
    }
  }
  if (authority !== null) at += authority.copy(out, at);
  if (additionalBytes > 0) at += bytes.copy(out, at, answersEnd, end);
  if (optLength > 0) OPT_RECORD.copy(out, at);
  return { bytes: out, qtype, rcode, truncated };
}
